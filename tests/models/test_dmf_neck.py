import torch

from mmtrpn.registry import MODELS


def build(**kwargs):
    cfg = dict(type='DMFNeck', rgb_channels=6, flow_channels=4,
               temporal_hidden=8)
    cfg.update(kwargs)
    return MODELS.build(cfg).eval()


def test_output_shape_odd_length_batch_one():
    neck = build()
    out = neck(torch.randn(1, 7, 10), torch.ones(1, 7))
    assert out.shape == (1, 7, 10)
    assert neck.out_channels == 10


def test_constant_flow_gives_constant_temporal_attention():
    neck = build()
    x = torch.randn(1, 11, 10)
    x[..., 6:] = 0.7  # constant flow
    _, a_t = neck.attentions(x[..., :6], x[..., 6:], torch.ones(1, 11))
    # two k3 convs: snippets 2..8 see no zero padding and must agree
    inner = a_t[0, 2:9, 0]
    assert torch.allclose(inner, inner[0].expand_as(inner), atol=1e-6)


def test_padding_is_respected():
    neck = build()
    x = torch.randn(1, 6, 10)
    alone = neck(x, torch.ones(1, 6))
    padded = torch.cat([x, 50 * torch.randn(1, 3, 10)], dim=1)  # junk
    valid = torch.tensor([[1.] * 6 + [0.] * 3])
    out = neck(padded, valid)
    assert torch.allclose(out[:, :6], alone, atol=1e-5)
    assert torch.all(out[:, 6:] == 0)
    # the channel attention averages the valid snippets only
    a_c, _ = neck.attentions(padded[..., :6], padded[..., 6:], valid)
    want = torch.sigmoid(neck.channel_mlp(x[..., :6].mean(1)))
    assert torch.allclose(a_c[:, 0], want, atol=1e-6)


def test_gating_and_residual():
    x = torch.randn(2, 5, 10)
    valid = torch.ones(2, 5)
    for residual in (False, True):
        neck = build(residual=residual)
        a_c, a_t = neck.attentions(x[..., :6], x[..., 6:], valid)
        off = 1 if residual else 0
        out = neck(x, valid)
        assert torch.allclose(out[..., :6], x[..., :6] * (off + a_t))
        assert torch.allclose(out[..., 6:], x[..., 6:] * (off + a_c))
