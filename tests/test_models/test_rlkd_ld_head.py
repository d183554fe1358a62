import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import rlkd_mmdet.models  # noqa: F401
from rlkd_mmdet.models.temperature import FixedTemperature

register_all_modules()

HEAD = dict(
    num_classes=4,
    in_channels=16,
    stacked_convs=1,
    feat_channels=16,
    norm_cfg=dict(type='GN', num_groups=8, requires_grad=True),
    anchor_generator=dict(
        type='AnchorGenerator',
        ratios=[1.0],
        octave_base_scale=4,
        scales_per_octave=1,
        strides=[4, 8]),
    loss_cls=dict(
        type='QualityFocalLoss', use_sigmoid=True, beta=2.0, loss_weight=1.0),
    loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25),
    reg_max=8,
    loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
    train_cfg=ConfigDict(
        assigner=dict(type='ATSSAssigner', topk=9),
        allowed_border=-1,
        pos_weight=-1,
        debug=False))


def _samples(boxes_per_image):
    samples = []
    for i, boxes in enumerate(boxes_per_image):
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(32, 32), pad_shape=(32, 32), img_id=i,
                batch_input_shape=(32, 32)))
        instances = InstanceData()
        instances.bboxes = torch.tensor(boxes, dtype=torch.float32).reshape(
            -1, 4)
        instances.labels = torch.arange(len(boxes)) % 4
        sample.gt_instances = instances
        samples.append(sample)
    return samples


def _build_pair():
    torch.manual_seed(0)
    reference = MODELS.build(
        dict(
            type='LDHead',
            loss_ld=dict(
                type='KnowledgeDistillationKLDivLoss', loss_weight=0.25,
                T=10),
            **HEAD))
    ours = MODELS.build(
        dict(
            type='RLKDLDHead',
            loss_ld=dict(type='InstanceKDLoss', loss_weight=0.25),
            loss_kd_cls=None,
            **HEAD))
    ours.load_state_dict(reference.state_dict())
    return reference, ours


def _features():
    torch.manual_seed(1)
    x = (torch.randn(2, 16, 8, 8), torch.randn(2, 16, 4, 4))
    teacher = (torch.randn(2, 16, 8, 8), torch.randn(2, 16, 4, 4))
    return x, teacher


def test_fixed_temperature_matches_mmdet_ld_head():
    reference, ours = _build_pair()
    x, teacher_x = _features()
    samples = _samples([[[2, 3, 14, 15], [16, 10, 30, 28]], [[5, 5, 20, 22]]])
    with torch.no_grad():
        out_teacher = reference(teacher_x)
    expected = reference.loss(x, out_teacher, samples)
    actual = ours.loss(x, out_teacher, samples, FixedTemperature(10.0))
    for key in ('loss_cls', 'loss_bbox', 'loss_dfl', 'loss_ld'):
        assert torch.allclose(
            sum(expected[key]), actual[key], atol=1e-5), key


def test_positive_locations_get_their_own_temperature():
    _, ours = _build_pair()
    x, teacher_x = _features()
    samples = _samples([[[2, 3, 14, 15]], [[5, 5, 20, 22]]])
    with torch.no_grad():
        out_teacher = ours(teacher_x)

    class Recorder(FixedTemperature):

        def forward(self, instances, image_index, image_ids=None):
            self.seen = (instances, image_index)
            return torch.linspace(1.0, 5.0, len(instances)), None

    source = Recorder()
    ours.loss(x, out_teacher, samples, source)
    instances, image_index = source.seen
    assert len(instances) > 0
    assert instances.states.shape[1] == 3
    # Probabilities and margins lie in [0, 1].
    assert instances.states.min() >= 0
    assert instances.states.max() <= 1
    # Both images contribute positive locations.
    assert set(image_index.tolist()) == {0, 1}


def test_images_without_objects_train():
    _, ours = _build_pair()
    x, teacher_x = _features()
    samples = _samples([[], []])
    with torch.no_grad():
        out_teacher = ours(teacher_x)
    losses = ours.loss(x, out_teacher, samples, FixedTemperature(10.0))
    assert losses['loss_ld'] == 0
    assert losses['loss_bbox'] == 0
    assert torch.isfinite(losses['loss_cls'])
    total = sum(losses.values())
    total.backward()
