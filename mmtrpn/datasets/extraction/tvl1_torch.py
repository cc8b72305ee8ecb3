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

    v = u + TH(rho)          (pointwise thresholding, l_t = lambda theta)
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

import cv2
import numpy as np
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
    dx = torch.diff(u, dim=2, append=u[:, :, -1:])
    dy = torch.diff(u, dim=1, append=u[:, -1:])
    return dx, dy


def divergence(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Backward differences with zero before the first row / column (the
    adjoint of :func:`forward_gradient` up to sign)."""
    div = px + py
    div[:, :, 1:] -= px[:, :, :-1]
    div[:, 1:] -= py[:, :-1]
    return div


def median_filter(images: torch.Tensor, size: int) -> torch.Tensor:
    """(N, H, W) -> (N, H, W): median of each ``size x size`` window, the
    border pixel repeated outside (cv2.medianBlur)."""
    r = size // 2
    padded = F.pad(images[:, None], (r, r, r, r), mode='replicate')[:, 0]
    windows = padded.unfold(1, size, 1).unfold(2, size, 1)
    return windows.reshape(*images.shape, size * size).median(-1).values


def median_blur(images: torch.Tensor, size: int) -> torch.Tensor:
    """:func:`median_filter`, by cv2.medianBlur itself on the CPU (float32
    takes sizes 3 and 5), where the torch median of unfolded windows is
    many times slower."""
    if images.device.type != 'cpu' or size not in (3, 5):
        return median_filter(images, size)
    arrays = images.float().contiguous().numpy()
    return torch.from_numpy(np.stack([cv2.medianBlur(a, size)
                                      for a in arrays]))


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
        n, h, w = image0.shape
        tolerance = p['epsilon']**2 * h * w
        dx, dy = centred_gradient(image1)
        source = torch.stack([image1, dx, dy], 1)
        flow = torch.stack([u1, u2], 1)          # (N, 2, H, W)
        duals = torch.zeros(n, 4, h, w, device=u1.device)
        for _ in range(p['warps']):
            i1w, i1wx, i1wy = warp_bicubic(source, flow[:, 0],
                                           flow[:, 1]).unbind(1)
            grad = i1wx * i1wx + i1wy * i1wy
            rho_c = i1w - i1wx * flow[:, 0] - i1wy * flow[:, 1] - image0
            # Thresholding step: shift = clip(-rho / grad, -l_t, l_t)
            # equals OpenCV's three cases (see _iterate).
            warped = torch.stack(
                [i1wx, i1wy, grad.clamp_min(_FLT_EPSILON), rho_c], 1)
            self._solve_warp(flow, duals, warped, tolerance)
        return flow[:, 0], flow[:, 1]

    def _solve_warp(self, flow, duals, warped, tolerance):
        """Iterate one warp in place on ``flow`` (N, 2, H, W) and ``duals``
        (N, 4, H, W); ``warped`` (N, 4, H, W) holds I1wx, I1wy, |grad|^2
        and rho_c. Pairs that converge leave the working set (their state
        is written back), so the others are not slowed by them."""
        p = self.params
        index = torch.arange(len(flow), device=flow.device)
        work = [flow.clone(), duals.clone(), warped]
        error = torch.full((len(flow), ), float('inf'), device=flow.device)

        def shrink():
            nonlocal index, error
            active = error > tolerance
            if bool(active.all()):
                return True
            flow[index], duals[index] = work[0], work[1]
            index, error = index[active], error[active]
            work[:] = [t[active] for t in work]
            return len(index) > 0

        for _ in range(p['outer_iterations']):
            if not shrink():
                return
            if p['median_size'] > 1:
                work[0] = median_blur(work[0].flatten(0, 1),
                                        p['median_size']).view_as(work[0])
            for _ in range(p['inner_iterations']):
                if not shrink():
                    return
                error = self._iterate(*work)
        flow[index], duals[index] = work[0], work[1]

    def _iterate(self, flow, duals, warped):
        """One primal-dual step, in place; returns each pair's
        ``sum |u_new - u_old|^2``.

        OpenCV's thresholding: ``v = u + d * grad I1w`` with ``d = l_t``
        where ``rho < -l_t |grad|^2``, ``-l_t`` where ``rho > l_t
        |grad|^2``, else ``-rho / |grad|^2``; that is
        ``d = clip(-rho / |grad|^2, -l_t, l_t)`` (where ``|grad|^2`` is
        below float epsilon OpenCV takes 0; there ``grad I1w`` is below
        4e-4, so d * grad I1w differs by less than 1e-4 px).
        """
        p = self.params
        l_t = p['lambda_'] * p['theta']
        taut = p['tau'] / p['theta']
        i1wx, i1wy, grad, rho_c = warped.unbind(1)
        u1, u2 = flow.unbind(1)
        rho = torch.addcmul(rho_c, i1wx, u1).addcmul_(i1wy, u2)
        shift = rho.div_(grad).neg_().clamp_(-l_t, l_t)
        old = flow.clone()
        u1.addcmul_(shift, i1wx).add_(
            divergence(duals[:, 0], duals[:, 1]), alpha=p['theta'])
        u2.addcmul_(shift, i1wy).add_(
            divergence(duals[:, 2], duals[:, 3]), alpha=p['theta'])
        change = old.sub_(flow).square_().sum((1, 2, 3))
        # p = (p + taut grad u) / (1 + taut |grad u|), per flow component;
        # forward differences as forward_gradient, written in place.
        grads = torch.zeros_like(duals)                # u1x, u1y, u2x, u2y
        torch.sub(flow[..., 1:], flow[..., :-1], out=grads[:, 0::2, :, :-1])
        torch.sub(flow[:, :, 1:], flow[:, :, :-1],
                  out=grads[:, 1::2, :-1])
        squares = grads.square()
        norms = squares[:, 0::2].add_(squares[:, 1::2]).sqrt_().mul_(
            taut).add_(1)
        duals.add_(grads, alpha=taut)
        duals.view(len(duals), 2, 2, *duals.shape[-2:]).div_(norms[:, :, None])
        return change
