"""A depth-only forward pass of Depth Anything 3, and the places where it may stop.

It mirrors DA3's own forward, using DA3's internals, for depth-anything-3 DA3_VERSION:

- `DepthAnything3Net.forward` without the camera decoder and the DualDPT ray branch (the
  any-view models' auxiliary output, ~60 % of their head), which depth-only use discards;
- `DualDPT._forward_impl` for the main path (`_dualdpt_depth` below).

The test `test_depth_only_forward_equals_the_full_network` (tests/integration/inference/
test_da3_forward.py) compares it with `net(x)["depth"]` on every head type: run it after
changing the pinned DA3 version.
"""

from __future__ import annotations

from typing import Any

DA3_VERSION = "0.1.1"  # the depth-anything-3 release this module mirrors (scripts/setup_env.sh)

# Share of a forward pass spent in the backbone, the rest in the head: da3-small at 252x140
# on CPU, 63 ms against 50 ms (scripts/bench/profile_forward.py); larger backbones weigh
# more. It only weights the `ForwardCancelled.done` estimate of the compute an abandoned
# pass had spent (a statistic), never what the pass does.
BACKBONE_SHARE = 0.55


def depth_only_forward(net: Any, x: Any) -> Any:
    """(B, 1, 3, H, W) normalised -> (B, H, W) depth, as `net(x)["depth"]` gives it.

    ~30 % less work than the full forward on the any-view models.
    """
    import torch
    from depth_anything_3.model.dualdpt import DualDPT

    feats, _aux = net.backbone(x, cam_token=None, export_feat_layers=[])
    height, width = x.shape[-2], x.shape[-1]
    head = net.head
    with torch.autocast(device_type=x.device.type, enabled=False):
        if isinstance(head, DualDPT):
            depth = _dualdpt_depth(head, feats, height, width)
        else:
            output = net._process_depth_head(feats, height, width)
            output = net._process_mono_sky_estimation(output)
            depth = output.depth
    return depth[:, 0] if depth.dim() == 4 else depth


def cancellation_points(net: Any) -> list[tuple[Any, float]]:
    """(module, share of the pass done before it) for each place a pass may stop.

    One before every backbone block and seven between the head's stages. The head's sit on
    its submodules because the depth-only forward calls them directly, never `head()`.
    """
    blocks = list(net.backbone.pretrained.blocks)
    scratch = net.head.scratch
    head = [net.head.projects[0], scratch.refinenet4, scratch.refinenet3, scratch.refinenet2,
            scratch.refinenet1, scratch.output_conv1, scratch.output_conv2]
    return ([(block, BACKBONE_SHARE * i / len(blocks)) for i, block in enumerate(blocks)]
            + [(module, BACKBONE_SHARE + (1 - BACKBONE_SHARE) * i / len(head))
               for i, module in enumerate(head)])


def _dualdpt_depth(head: Any, feats: list[Any], height: int, width: int) -> Any:
    """DualDPT's main (depth) path alone; mirrors DualDPT._forward_impl without the aux path."""
    from depth_anything_3.model.utils.head_utils import custom_interpolate

    b, s, n, c = feats[0][0].shape
    tokens = [feat[0].reshape(b * s, n, c) for feat in feats]
    ph, pw = height // head.patch_size, width // head.patch_size
    levels = []
    for stage, take in enumerate(head.intermediate_layer_idx):
        t = head.norm(tokens[take][:, 0:])
        t = t.permute(0, 2, 1).reshape(b * s, c, ph, pw)
        t = head.projects[stage](t)
        if head.pos_embed:
            t = head._add_pos_embed(t, width, height)
        levels.append(head.resize_layers[stage](t))
    scratch = head.scratch
    l1, l2, l3, l4 = (
        scratch.layer1_rn(levels[0]), scratch.layer2_rn(levels[1]),
        scratch.layer3_rn(levels[2]), scratch.layer4_rn(levels[3]),
    )
    out = scratch.refinenet4(l4, size=l3.shape[2:])
    out = scratch.refinenet3(out, l3, size=l2.shape[2:])
    out = scratch.refinenet2(out, l2, size=l1.shape[2:])
    out = scratch.refinenet1(out, l1)
    out = scratch.output_conv1(out)
    h_out = int(ph * head.patch_size / head.down_ratio)
    w_out = int(pw * head.patch_size / head.down_ratio)
    out = custom_interpolate(out, (h_out, w_out), mode="bilinear", align_corners=True)
    if head.pos_embed:
        out = head._add_pos_embed(out, width, height)
    logits = scratch.output_conv2(out).permute(0, 2, 3, 1)
    depth = head._apply_activation_single(logits[..., :-1], head.activation).squeeze(-1)
    return depth.reshape(b, s, *depth.shape[1:])
