"""Dual TV-L1 optical flow in torch, batched over frame pairs (CPU or GPU).

The model and solver are those of Zach, Pock and Bischof (2007) as
formulated by Sanchez, Meinhardt-Llopis and Facciolo (IPOL 2013), with the
discretisation and defaults of OpenCV's ``DualTVL1OpticalFlow`` so that the
two backends give close flows::

    min_u  sum |grad u1| + |grad u2| + lambda * |rho(u)|,
    rho(u) = I1(x + u0) + grad I1(x + u0) . (u - u0) - I0(x)

Per scale (coarse to fine, factor ``scale_step``, linear resizing), per
warp (``I1`` and its centred gradient resampled at ``x + u`` bicubically,
zero outside), alternate::

    v = u + TH(rho)                      (pointwise thresholding, l_t = lambda theta)
    u = v + theta div p                  (backward-difference divergence)
    p = (p + tau/theta grad u) / (1 + tau/theta |grad u|)   (forward diffs)

until ``sum |u_k - u_{k-1}|^2 <= epsilon^2 * H * W`` or ``inner x outer``
iterations, the flow median-filtered (5x5) before each outer round. Pairs
of a batch stop independently (a converged pair is left as it is), so a
pair's flow does not depend on the batch it is computed in.

Differences with OpenCV: OpenCV quantises remap coordinates to 1/32 px and
sums the stopping error in float; both move the stopping point a little.
"""
from typing import List, Tuple

import torch
import torch.nn.functional as F

# OpenCV's defaults (cv2.optflow.DualTVL1OpticalFlow_create()).
TVL1_DEFAULTS = dict(
    tau=0.25,
    lambda_=0.15,
    theta=0.3,
    num_scales=5,
    warps=5,
    epsilon=0.01,
    inner_iterations=30,
    outer_iterations=10,
    scale_step=0.8,
    median_size=5)
MIN_LEVEL_SIDE = 16   # coarser levels are dropped, as in OpenCV
_FLT_EPSILON = 1.1920929e-07


def _linear_taps(src: int, dst: int, inverse_scale: float, device):
    """Indices and weights of 1-D linear resizing ``src -> dst`` with
    half-pixel centres: ``x_src = (x_dst + 0.5) * inverse_scale - 0.5``,
    clamped to the image (OpenCV's INTER_LINEAR)."""
    x = (torch.arange(dst, device=device, dtype=torch.float64) + 0.5) \
        * inverse_scale - 0.5
    x = x.clamp(0, src - 1)
    left = x.floor().long().clamp(max=src - 1)
    right = (left + 1).clamp(max=src - 1)
    frac = (x - left).float()
    return left, right, frac


def resize_linear(images: torch.Tensor, size: Tuple[int, int],
                  inverse_scale: Tuple[float, float]) -> torch.Tensor:
    """(N, H, W) -> (N, h, w), separable linear interpolation.

    ``inverse_scale`` is (source pixels per output pixel) in y and x:
    ``1 / scale_step`` when shrinking by a factor, ``H / h`` when resizing
    to a given size (OpenCV uses the factor itself, not the size ratio).
    """
    h, w = size
    top, bottom, fy = _linear_taps(images.shape[-2], h, inverse_scale[0],
                                   images.device)
    left, right, fx = _linear_taps(images.shape[-1], w, inverse_scale[1],
                                   images.device)
    rows = images[:, top] * (1 - fy)[:, None] + images[:, bottom] * fy[:,
                                                                        None]
    return rows[..., left] * (1 - fx) + rows[..., right] * fx


def centred_gradient(images: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """(N, H, W) -> (dx, dy): half the difference of the two neighbours,
    the border pixel repeated outside."""
    padded = F.pad(images[:, None], (1, 1, 1, 1), mode='replicate')[:, 0]
    dx = 0.5 * (padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2])
    dy = 0.5 * (padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1])
    return dx, dy


def forward_gradient(u: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """(N, H, W) -> (dx, dy): next minus this pixel, 0 on the last
    column (dx) / row (dy)."""
    dx = F.pad(u[:, :, 1:] - u[:, :, :-1], (0, 1))
    dy = F.pad(u[:, 1:] - u[:, :-1], (0, 0, 0, 1))
    return dx, dy


def divergence(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Backward differences with zero before the first row / column (the
    adjoint of :func:`forward_gradient` up to sign)."""
    return (px - F.pad(px[:, :, :-1], (1, 0))) + \
        (py - F.pad(py[:, :-1], (0, 0, 1, 0)))


def median_filter(images: torch.Tensor, size: int) -> torch.Tensor:
    """(N, H, W) -> (N, H, W): median of each ``size x size`` window, the
    border pixel repeated outside (cv2.medianBlur)."""
    r = size // 2
    padded = F.pad(images[:, None], (r, r, r, r), mode='replicate')[:, 0]
    windows = padded.unfold(1, size, 1).unfold(2, size, 1)
    return windows.reshape(*images.shape, size * size).median(-1).values


def warp_bicubic(images: torch.Tensor, u1: torch.Tensor,
                 u2: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) sampled at ``(x + u1, y + u2)``, bicubic (a = -0.75),
    zero outside the image."""
    n, _, h, w = images.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=images.device, dtype=images.dtype),
        torch.arange(w, device=images.device, dtype=images.dtype),
        indexing='ij')
    gx = (xs + u1) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys + u2) * (2.0 / max(h - 1, 1)) - 1.0
    return F.grid_sample(images, torch.stack([gx, gy], -1), mode='bicubic',
                         padding_mode='zeros', align_corners=True)


class TorchTVL1:
    """Callable: gray frames ``first``, ``second`` (N, H, W), uint8 or float
    in [0, 255], numpy or torch -> flow (N, H, W, 2) float32 in pixels on
    ``device`` (``dx, dy``: first -> second).

    Args:
        device (str): Where to solve, e.g. ``'cpu'`` or ``'cuda'``.
        **params: Overrides of :data:`TVL1_DEFAULTS` (OpenCV's).
    """

    def __init__(self, device: str = 'cpu', **params) -> None:
        unknown = set(params) - set(TVL1_DEFAULTS)
        if unknown:
            raise TypeError(f'unknown TV-L1 parameters {sorted(unknown)}; '
                            f'known: {sorted(TVL1_DEFAULTS)}')
        self.device = torch.device(device)
        self.params = {**TVL1_DEFAULTS, **params}

    def pyramid(self, images: torch.Tensor) -> List[torch.Tensor]:
        """Finest first; each level resized from the one before it."""
        step = self.params['scale_step']
        levels = [images]
        for _ in range(1, self.params['num_scales']):
            h, w = levels[-1].shape[-2:]
            size = (round(h * step), round(w * step))
            if min(size) < MIN_LEVEL_SIDE:
                break
            levels.append(
                resize_linear(levels[-1], size, (1 / step, 1 / step)))
        return levels

    @torch.no_grad()
    def __call__(self, first, second) -> torch.Tensor:
        first = torch.as_tensor(first, device=self.device).float()
        second = torch.as_tensor(second, device=self.device).float()
        if first.shape != second.shape or first.dim() != 3:
            raise ValueError('expected two (N, H, W) stacks of the same '
                             f'shape, got {tuple(first.shape)} and '
                             f'{tuple(second.shape)}')
        if min(first.shape[1:]) < 3:
            raise ValueError(f'frames of {tuple(first.shape[1:])} are too '
                             'small for TV-L1 (at least 3x3)')
        levels0, levels1 = self.pyramid(first), self.pyramid(second)
        step = self.params['scale_step']
        u1 = first.new_zeros(levels0[-1].shape)
        u2 = torch.zeros_like(u1)
        for s in range(len(levels0) - 1, -1, -1):
            u1, u2 = self._one_scale(levels0[s], levels1[s], u1, u2)
            if s == 0:
                break
            size = levels0[s - 1].shape[-2:]
            inverse = (u1.shape[-2] / size[0], u1.shape[-1] / size[1])
            u1 = resize_linear(u1, size, inverse) / step
            u2 = resize_linear(u2, size, inverse) / step
        return torch.stack([u1, u2], -1)

    def _one_scale(self, image0, image1, u1, u2):
        p = self.params
        l_t = p['lambda_'] * p['theta']
        taut = p['tau'] / p['theta']
        n, h, w = image0.shape
        tolerance = p['epsilon']**2 * h * w
        dx, dy = centred_gradient(image1)
        source = torch.stack([image1, dx, dy], 1)
        duals = [torch.zeros_like(u1) for _ in range(4)]
        for _ in range(p['warps']):
            i1w, i1wx, i1wy = warp_bicubic(source, u1, u2).unbind(1)
            grad = i1wx * i1wx + i1wy * i1wy
            rho_c = i1w - i1wx * u1 - i1wy * u2 - image0
            error = torch.full((n, ), float('inf'), device=u1.device)
            for _ in range(p['outer_iterations']):
                active = error > tolerance
                if not bool(active.any()):
                    break
                if p['median_size'] > 1:
                    smooth = median_filter(torch.cat([u1, u2]),
                                           p['median_size'])
                    u1, u2 = _masked(active, smooth.split(n), (u1, u2))
                for _ in range(p['inner_iterations']):
                    active = error > tolerance
                    if not bool(active.any()):
                        break
                    u1, u2, duals, error = self._iterate(
                        active, u1, u2, duals, error, i1wx, i1wy, grad,
                        rho_c, l_t, taut)
        return u1, u2

    def _iterate(self, active, u1, u2, duals, error, i1wx, i1wy, grad,
                 rho_c, l_t, taut):
        """One primal-dual step for the ``active`` pairs."""
        theta = self.params['theta']
        rho = rho_c + i1wx * u1 + i1wy * u2
        bound = l_t * grad
        fraction = -rho / grad.clamp_min(_FLT_EPSILON)
        shift = torch.where(
            rho < -bound, l_t,
            torch.where(rho > bound, -l_t,
                        torch.where(grad > _FLT_EPSILON, fraction, 0.0)))
        p11, p12, p21, p22 = duals
        new_u1 = u1 + shift * i1wx + theta * divergence(p11, p12)
        new_u2 = u2 + shift * i1wy + theta * divergence(p21, p22)
        change = ((new_u1 - u1)**2 + (new_u2 - u2)**2).sum((1, 2))
        u1x, u1y = forward_gradient(new_u1)
        u2x, u2y = forward_gradient(new_u2)
        norm1 = 1 + taut * torch.sqrt(u1x * u1x + u1y * u1y)
        norm2 = 1 + taut * torch.sqrt(u2x * u2x + u2y * u2y)
        new_duals = ((p11 + taut * u1x) / norm1, (p12 + taut * u1y) / norm1,
                     (p21 + taut * u2x) / norm2, (p22 + taut * u2y) / norm2)
        u1, u2 = _masked(active, (new_u1, new_u2), (u1, u2))
        duals = _masked(active, new_duals, duals)
        error = torch.where(active, change, error)
        return u1, u2, duals, error


def _masked(active: torch.Tensor, new, old):
    """``new`` for the active pairs (first axis), ``old`` for the others."""
    if bool(active.all()):
        return tuple(new)
    keep = active[:, None, None]
    return tuple(torch.where(keep, a, b) for a, b in zip(new, old))
