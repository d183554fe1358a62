"""Parameter counts and output shapes of the CIFAR backbones."""
import pytest
import torch
from mmdet.registry import MODELS

import rlkd_mmdet.cls  # noqa: F401  (registers the modules)

# Total parameters, in millions, of each CIFAR-100 benchmark model with a
# 100-class linear head. Source: the model definitions of the CRD code,
# github.com/HobbitLong/RepDistiller, models/resnet.py, wrn.py, vgg.py (the
# *_bn models), mobilenetv2.py (mobile_half), ShuffleNetv1.py,
# ShuffleNetv2.py and resnetv2.py (ResNet50) at commit eedab9d1
# (mobilenetv2.py at b13aecc3). Counting their layers by hand gives these
# figures after rounding to 0.01M.
# Each entry: benchmark name, backbone config, out_channels, parameters (M).
REFERENCE_MODELS = [
    ('resnet20', dict(type='CifarResNet', depth=20), 64, 0.28),
    ('resnet32', dict(type='CifarResNet', depth=32), 64, 0.47),
    ('resnet56', dict(type='CifarResNet', depth=56), 64, 0.86),
    ('resnet110', dict(type='CifarResNet', depth=110), 64, 1.74),
    ('resnet8x4', dict(type='CifarResNetX4', depth=8), 256, 1.23),
    ('resnet32x4', dict(type='CifarResNetX4', depth=32), 256, 7.43),
    ('wrn_16_2', dict(type='CifarWRN', depth=16, widen_factor=2), 128, 0.70),
    ('wrn_40_1', dict(type='CifarWRN', depth=40, widen_factor=1), 64, 0.57),
    ('wrn_40_2', dict(type='CifarWRN', depth=40, widen_factor=2), 128, 2.26),
    ('vgg8', dict(type='CifarVGG', depth=8), 512, 3.96),
    ('vgg13', dict(type='CifarVGG', depth=13), 512, 9.46),
    ('MobileNetV2', dict(type='CifarMobileNetV2'), 1280, 0.81),
    ('ShuffleV1', dict(type='CifarShuffleNetV1'), 960, 0.95),
    ('ShuffleV2', dict(type='CifarShuffleNetV2'), 1024, 1.36),
    ('ResNet50', dict(type='CifarBottleneckResNet', depth=50), 2048, 23.71),
]
RELATIVE_TOLERANCE = 0.02


def build_classifier(backbone: dict, in_channels: int, num_classes: int):
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=backbone,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=num_classes,
                in_channels=in_channels)))


@pytest.mark.parametrize(
    'name, backbone, out_channels, params_m',
    REFERENCE_MODELS,
    ids=[entry[0] for entry in REFERENCE_MODELS])
def test_benchmark_model_params_and_shape(name, backbone, out_channels,
                                          params_m):
    model = build_classifier(backbone, out_channels, num_classes=100)
    assert model.backbone.out_channels == out_channels

    num_params = sum(param.numel() for param in model.parameters())
    reference = params_m * 1e6
    relative_error = abs(num_params - reference) / reference
    assert relative_error <= RELATIVE_TOLERANCE, (
        f'{name}: {num_params} parameters, reference {params_m}M')

    model.eval()
    with torch.no_grad():
        logits = model(torch.rand(2, 3, 32, 32), mode='tensor')
    assert logits.shape == (2, 100)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize('backbone, stage_shapes', [
    (dict(type='CifarResNet', depth=8), [(16, 32), (32, 16), (64, 8)]),
    (dict(type='CifarWRN', depth=10, widen_factor=2), [(32, 32), (64, 16),
                                                      (128, 8)]),
    (dict(type='CifarVGG', depth=8), [(64, 32), (128, 16), (256, 8),
                                      (512, 4), (512, 4)]),
    (dict(type='CifarShuffleNetV2'), [(116, 16), (232, 8), (1024, 4)]),
])
def test_all_stage_outputs(backbone, stage_shapes):
    num_stages = len(stage_shapes)
    model = MODELS.build(dict(backbone, out_indices=tuple(range(num_stages))))
    model.eval()
    with torch.no_grad():
        outs = model(torch.rand(1, 3, 32, 32))

    assert len(outs) == num_stages
    for out, (channels, size) in zip(outs, stage_shapes):
        assert out.shape == (1, channels, size, size)
    assert model.stage_channels == tuple(c for c, _ in stage_shapes)
    assert model.out_channels == stage_shapes[-1][0]


def test_negative_out_index_selects_last_stage():
    model = MODELS.build(
        dict(type='CifarResNet', depth=8, out_indices=(-1, )))
    assert model.out_indices == (2, )


@pytest.mark.parametrize('backbone, bad_value', [
    (dict(type='CifarResNet', depth=21), '21'),
    (dict(type='CifarWRN', depth=18), '18'),
    (dict(type='CifarVGG', depth=10), '10'),
    (dict(type='CifarBottleneckResNet', depth=34), '34'),
    (dict(type='CifarResNet', depth=20, out_indices=(3, )), '3'),
])
def test_invalid_arguments_raise(backbone, bad_value):
    with pytest.raises(ValueError, match=bad_value):
        MODELS.build(backbone)


def test_registered_names_do_not_shadow_mmdet():
    # mmdet's own modules must still resolve to mmdet classes.
    assert MODELS.get('ResNet').__module__.startswith('mmdet.')
    assert MODELS.get('CifarResNet').__module__.startswith('rlkd_mmdet.')
