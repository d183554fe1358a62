import copy
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.hub import get_config

import rlkd_mmdet.models  # noqa: F401
from rlkd_mmdet.models.temperature import FixedTemperature, RLKDTemperature
from rlkd_mmdet.rl import RLKDAgent

from ..conftest import ROOT
from .test_rlkd_two_stage import _batch, _empty_batch, _total

register_all_modules()
NUM_CLASSES = 10
DENSE_CONFIGS = {
    'retinanet': 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
    'fcos': 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py',
    'atss': 'mmdet::atss/atss_r50_fpn_1x_coco.py',
    'gfl': 'mmdet::gfl/gfl_r50_fpn_1x_coco.py',
}


def _tiny(model_cfg, num_classes=NUM_CLASSES):
    """Shrink an mmdet ResNet-FPN dense detector config for CPU tests."""
    model_cfg.backbone.update(depth=18, base_channels=8, init_cfg=None)
    model_cfg.neck.update(in_channels=[8, 16, 32, 64], out_channels=32)
    model_cfg.bbox_head.update(
        in_channels=32, feat_channels=32, stacked_convs=1,
        num_classes=num_classes)
    return model_cfg


def _distiller(family, teacher_overrides=None, **overrides):
    student = _tiny(copy.deepcopy(get_config(DENSE_CONFIGS[family]).model))
    teacher = copy.deepcopy(student)
    if teacher_overrides:
        teacher.bbox_head.update(teacher_overrides)
    student.update(
        type='RLKDDenseDistiller',
        teacher_config=dict(model=teacher),
        teacher_ckpt=None,
        temperature_source=dict(type='FixedTemperature', temperature=2.0))
    student.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(student)
    model.init_weights()
    return model


class RecordingTemperature(FixedTemperature):
    """A fixed temperature that keeps the arguments of every call."""

    def __init__(self, temperature=2.0):
        super().__init__(temperature)
        self.calls = []

    def forward(self, instances, image_index, image_ids=None):
        self.calls.append((instances, image_index))
        return super().forward(instances, image_index, image_ids)


def _encode_rows(model):
    """Make the student's class logits hold their row in the KD flattening.

    Every logit of a prior becomes the index of that prior in the order
    level, image, row, column, prior, so the logits that reach the KD loss
    reveal which priors were chosen. The teacher's logit of class ``c`` is
    shifted by ``c`` so that its scores tell the classes apart.
    """
    channels = model.bbox_head.cls_out_channels
    captured = {}

    def encode(score, offset):
        num, _, height, width = score.shape
        priors = score.size(1) // channels
        count = num * height * width * priors
        rows = torch.arange(offset, offset + count, dtype=score.dtype)
        rows = rows.reshape(num, height, width, priors, 1).expand(
            -1, -1, -1, -1, channels)
        rows = rows.reshape(num, height, width, priors * channels)
        return rows.permute(0, 3, 1, 2) + score * 0, count

    student_forward = model.bbox_head.forward

    def encoded_forward(x):
        outs = student_forward(x)
        captured['featmap_sizes'] = [s.shape[-2:] for s in outs[0]]
        offset, encoded = 0, []
        for score in outs[0]:
            rows, count = encode(score, offset)
            encoded.append(rows)
            offset += count
        return (encoded, ) + tuple(outs[1:])

    teacher_forward = model.teacher.bbox_head.forward

    def shifted_forward(x):
        outs = teacher_forward(x)
        shift = torch.arange(channels, dtype=outs[0][0].dtype)
        shifted = []
        for score in outs[0]:
            priors = score.size(1) // channels
            shifted.append(score + shift.repeat(priors)[None, :, None, None])
        captured['teacher_logits'] = torch.cat([
            s.permute(0, 2, 3, 1).reshape(-1, channels) for s in shifted
        ])
        return (shifted, ) + tuple(outs[1:])

    model.bbox_head.forward = encoded_forward
    model.teacher.bbox_head.forward = shifted_forward
    kd_forward = model.loss_kd_cls.forward

    def capture_kd(pred, soft_label, temperature, **kwargs):
        captured['rows'] = pred[:, 0].round().long()
        return kd_forward(pred, soft_label, temperature, **kwargs)

    model.loss_kd_cls.forward = capture_kd
    return captured


def _decode_rows(model, rows, num_images, featmap_sizes):
    """Return the image index and prior (box or point) of each row."""
    priors = model.bbox_head.prior_generator.grid_priors(
        featmap_sizes, device='cpu')
    images = torch.empty_like(rows)
    located = None
    start = 0
    for level_priors in priors:
        count = num_images * level_priors.size(0)
        in_level = (rows >= start) & (rows < start + count)
        local = rows[in_level] - start
        images[in_level] = local // level_priors.size(0)
        if located is None:
            located = level_priors.new_zeros(rows.numel(),
                                             level_priors.size(1))
        located[in_level] = level_priors[local % level_priors.size(0)]
        start += count
    return images, located


@pytest.mark.parametrize('family', list(DENSE_CONFIGS))
def test_kd_instances_are_positive_priors(family):
    model = _distiller(family)
    model.temperature_source = RecordingTemperature()
    captured = _encode_rows(model)

    recorded = {}
    loss_cls = model.bbox_head.loss_cls.forward

    def record_avg_factor(*args, **kwargs):
        recorded.setdefault('avg_factor', kwargs.get('avg_factor'))
        return loss_cls(*args, **kwargs)

    model.bbox_head.loss_cls.forward = record_avg_factor
    model.train()
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    assert torch.isfinite(losses['loss_kd_cls'])

    assert len(model.temperature_source.calls) == 1
    instances, image_index = model.temperature_source.calls[0]
    rows = captured['rows']
    assert len(instances) == rows.numel() > 0
    if family != 'gfl':
        # mmdet averages its classification loss over the positives (GFL
        # over their quality scores), so its count must equal the number of
        # KD instances.
        assert float(recorded['avg_factor']) == rows.numel()

    images, priors = _decode_rows(model, rows, len(samples),
                                  captured['featmap_sizes'])
    assert torch.equal(images, image_index)
    teacher_probs = captured['teacher_logits'][rows].sigmoid()
    for i, sample in enumerate(samples):
        gt = sample.gt_instances
        mine = images == i
        assert mine.any(), f'image {i} has no positive prior'
        if priors.size(1) == 2:
            # A positive point lies inside the box it is assigned to.
            x, y = priors[mine, 0:1], priors[mine, 1:2]
            inside = (x >= gt.bboxes[:, 0]) & (x <= gt.bboxes[:, 2]) & (
                y >= gt.bboxes[:, 1]) & (y <= gt.bboxes[:, 3])
            assert inside.any(dim=1).all()
            box = inside.float().argmax(dim=1)
        else:
            overlaps = bbox_overlaps(priors[mine], gt.bboxes)
            assert (overlaps.max(dim=1).values > 0).all()
            box = overlaps.argmax(dim=1)
        # The state is the teacher's probability of the class of the box
        # that the prior covers (the boxes of an image do not overlap).
        expected = teacher_probs[mine].gather(1, gt.labels[box][:, None])
        assert torch.allclose(instances.states[mine, 0], expected[:, 0])


def test_kd_value_for_fixed_temperature():
    model = _distiller('retinanet')
    model.train()
    captured = {}
    kd_forward = model.loss_kd_cls.forward

    def capture(pred, soft_label, temperature, **kwargs):
        captured.update(pred=pred, soft_label=soft_label, kwargs=kwargs)
        return kd_forward(pred, soft_label, temperature, **kwargs)

    model.loss_kd_cls.forward = capture
    losses = model.loss(*_batch())
    pred, soft = captured['pred'], captured['soft_label']
    # Binary KL summed over classes at T=2, times T^2, mean over priors.
    t = (soft / 2).sigmoid()
    s = (pred / 2).sigmoid()
    kl = t * (t / s).log() + (1 - t) * ((1 - t) / (1 - s)).log()
    expected = (kl.sum(dim=1) * 4).mean()
    assert torch.allclose(losses['loss_kd_cls'], expected, rtol=1e-4)


@pytest.mark.parametrize('family', list(DENSE_CONFIGS))
def test_images_without_objects(family):
    model = _distiller(family)
    model.train()
    losses = model.loss(*_empty_batch())
    assert losses['loss_kd_cls'] == 0
    total = _total(losses)
    assert torch.isfinite(total)
    total.backward()


def test_teacher_frozen_during_training():
    model = _distiller('retinanet')
    model.train()
    assert not model.teacher.training
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    student_before = model.bbox_head.retina_cls.weight.clone()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-2)
    for step in range(3):
        batch = _batch() if step != 1 else _empty_batch()
        losses = model.loss(*batch)
        optimizer.zero_grad()
        _total(losses).backward()
        optimizer.step()
    for name, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[name]), name
    assert not torch.equal(model.bbox_head.retina_cls.weight, student_before)


def test_unsupported_head_rejected():
    student = _tiny(get_config('mmdet::paa/paa_r50_fpn_1x_coco.py').model)
    student.update(
        type='RLKDDenseDistiller',
        teacher_config=dict(model=copy.deepcopy(student)),
        teacher_ckpt=None)
    with pytest.raises(TypeError) as error:
        MODELS.build(student)
    assert 'PAAHead' in str(error.value)
    assert 'FCOSHead' in str(error.value)


def test_softmax_head_rejected():
    student = _tiny(get_config(DENSE_CONFIGS['retinanet']).model)
    student.bbox_head['loss_cls'] = dict(
        type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)
    student.update(
        type='RLKDDenseDistiller',
        teacher_config=dict(model=copy.deepcopy(student)),
        teacher_ckpt=None)
    with pytest.raises(ValueError, match='sigmoid class scores'):
        MODELS.build(student)


def test_other_anchor_layout_rejected():
    anchors = dict(
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=1,
            ratios=[1.0],
            strides=[8, 16, 32, 64, 128]))
    with pytest.raises(ValueError, match='different score maps'):
        _distiller('retinanet', teacher_overrides=anchors)


def test_class_count_mismatch_raises():
    with pytest.raises(ValueError, match='teacher has 5 classes'):
        _distiller('retinanet', teacher_overrides=dict(num_classes=5))


@pytest.mark.parametrize('name', [
    'retinanet_kd_r50-r101_fpn_1x_coco.py',
    'retinanet_kd-rlkd_r50-r101_fpn_1x_coco.py',
])
def test_coco_configs_build_and_train(name):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/rlkd', name))
    assert cfg.model.type == 'RLKDDenseDistiller'
    assert cfg.model.teacher_ckpt.startswith('https://download.openmmlab')
    assert cfg.model.backbone.depth == 50
    teacher = get_config(cfg.model.teacher_config)
    assert teacher.model.backbone.depth == 101

    model_cfg = _tiny(copy.deepcopy(cfg.model), num_classes=80)
    model_cfg.teacher_config = dict(model=_tiny(teacher.model, 80))
    model_cfg.teacher_ckpt = None
    model = MODELS.build(model_cfg)
    model.init_weights()
    if 'rlkd' in name:
        assert isinstance(model.temperature_source, RLKDTemperature)
        agent_cfg = cfg.custom_hooks[0].agent
        model.temperature_source.bind_agent(RLKDAgent(**agent_cfg))
        model.temperature_source.agent_acting = True
    else:
        assert isinstance(model.temperature_source, FixedTemperature)

    model.train()
    losses = model.loss(*_batch())
    assert losses['loss_kd_cls'] > 0
    _total(losses).backward()
    if 'rlkd' in name:
        low, high = cfg.custom_hooks[0].agent.temperature_range
        temperature = model.temperature_source.last_temperature
        assert low <= temperature.min() <= temperature.max() <= high

    model.eval()
    with torch.no_grad():
        results = model.predict(*_batch(
            boxes_per_image=(((4, 4, 30, 30), ), ()),
            labels_per_image=((1, ), ())))
    assert len(results) == 2
    for result in results:
        assert result.pred_instances.bboxes.size(-1) == 4
