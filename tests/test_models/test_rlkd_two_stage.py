import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.structures import InstanceData

import rlkd_mmdet.engine  # noqa: F401
import rlkd_mmdet.models  # noqa: F401
from rlkd_mmdet.engine import RLKDHook
from rlkd_mmdet.models.temperature import FixedTemperature, RLKDTemperature
from rlkd_mmdet.rl import RLKDAgent

from ..conftest import ROOT

register_all_modules()
TEACHER_CONFIG = osp.join(ROOT, 'configs/demo/faster-rcnn_teacher_digits.py')
KD_CONFIG = osp.join(ROOT, 'configs/demo/faster-rcnn_kd_student_digits.py')
RLKD_CONFIG = osp.join(ROOT,
                       'configs/demo/faster-rcnn_kd-rlkd_student_digits.py')
NUM_CLASSES = 10


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    teacher = MODELS.build(Config.fromfile(TEACHER_CONFIG).model)
    path = str(tmp_path_factory.mktemp('teacher') / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return path


def _build(teacher_ckpt, config=KD_CONFIG, **overrides):
    cfg = Config.fromfile(config).model
    cfg.teacher_config = TEACHER_CONFIG
    cfg.teacher_ckpt = teacher_ckpt
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    torch.manual_seed(1)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _batch(boxes_per_image=(((4, 4, 30, 30), (40, 40, 70, 80)),
                            ((10, 50, 40, 80), )),
           labels_per_image=((1, 3), (7, ))):
    """Random 96x96 images with the given boxes (one tuple per image)."""
    torch.manual_seed(2)
    inputs = torch.rand(len(boxes_per_image), 3, 96, 96) * 255
    samples = []
    for i, (boxes, labels) in enumerate(
            zip(boxes_per_image, labels_per_image)):
        sample = DetDataSample(
            metainfo=dict(
                img_id=i,
                img_shape=(96, 96),
                ori_shape=(96, 96),
                pad_shape=(96, 96),
                batch_input_shape=(96, 96),
                scale_factor=(1.0, 1.0)))
        instances = InstanceData()
        instances.bboxes = torch.tensor(
            boxes, dtype=torch.float32).reshape(-1, 4)
        instances.labels = torch.tensor(labels, dtype=torch.long)
        sample.gt_instances = instances
        samples.append(sample)
    return inputs, samples


def _empty_batch():
    return _batch(boxes_per_image=((), ()), labels_per_image=((), ()))


class RecordingTemperature(FixedTemperature):
    """A fixed temperature that keeps the arguments of every call."""

    def __init__(self, temperature=4.0):
        super().__init__(temperature)
        self.calls = []

    def forward(self, instances, image_index, image_ids=None):
        self.calls.append((instances, image_index, image_ids))
        return super().forward(instances, image_index, image_ids)


def _record(model, temperature=4.0):
    """Swap in a recording source and capture the sampled RoIs."""
    model.temperature_source = RecordingTemperature(temperature)
    captured = {}
    loss_and_rois = model.roi_head.loss_and_rois

    def capture_rois(*args, **kwargs):
        losses, sampled = loss_and_rois(*args, **kwargs)
        captured['sampled'] = sampled
        return losses, sampled

    bbox_forward = model.teacher.roi_head._bbox_forward

    def capture_teacher(x, rois):
        results = bbox_forward(x, rois)
        captured['teacher_rois'] = rois
        captured['teacher_cls_score'] = results['cls_score']
        return results

    model.roi_head.loss_and_rois = capture_rois
    model.teacher.roi_head._bbox_forward = capture_teacher
    return captured


def _total(losses):
    total = 0
    for key, value in losses.items():
        if 'loss' in key:
            total = total + (sum(value) if isinstance(value, list) else value)
    return total


def test_loss_has_student_and_kd_terms(teacher_ckpt):
    model = _build(teacher_ckpt)
    model.train()
    losses = model.loss(*_batch())
    for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox',
                'loss_kd_roi'):
        assert key in losses, key
    assert losses['loss_kd_roi'] > 0
    total = _total(losses)
    assert torch.isfinite(total)
    total.backward()
    assert model.roi_head.bbox_head.fc_cls.weight.grad.abs().sum() > 0


def test_teacher_classifies_student_rois(teacher_ckpt):
    model = _build(teacher_ckpt)
    model.train()
    captured = _record(model)
    losses = model.loss(*_batch())

    sampled = captured['sampled']
    assert torch.equal(captured['teacher_rois'], sampled.rois)
    # 64 RoIs are sampled per image (train_cfg.rcnn.sampler.num).
    assert sampled.rois.shape == (128, 5)
    assert sampled.cls_score.shape == (128, NUM_CLASSES + 1)

    # The KD term by hand: T^2 * KL summed over classes, mean over RoIs,
    # times the loss weight of the config.
    assert model.loss_kd_roi.loss_weight == 0.25
    temperature = 4.0
    target = F.softmax(captured['teacher_cls_score'] / temperature, dim=1)
    log_student = F.log_softmax(sampled.cls_score / temperature, dim=1)
    kl = (target * (target.log() - log_student)).sum(dim=1)
    expected = 0.25 * (kl * temperature**2).mean()
    assert torch.allclose(losses['loss_kd_roi'], expected, rtol=1e-5)


def test_one_source_call_with_every_roi(teacher_ckpt):
    model = _build(teacher_ckpt)
    model.train()
    captured = _record(model)
    model.loss(*_batch())

    assert len(model.temperature_source.calls) == 1
    instances, image_index, image_ids = model.temperature_source.calls[0]
    sampled = captured['sampled']
    assert len(instances) == sampled.rois.size(0)
    assert torch.equal(image_index, sampled.rois[:, 0].long())
    assert image_ids.tolist() == [0, 1]

    # Each RoI's first state entry is the teacher's probability of its
    # target: the ground-truth class, or background (index 10).
    teacher_probs = captured['teacher_cls_score'].softmax(dim=1)
    expected = teacher_probs.gather(1, sampled.labels[:, None])[:, 0]
    assert torch.allclose(instances.states[:, 0], expected, atol=1e-6)
    background = sampled.labels == NUM_CLASSES
    assert background.any()
    assert (~background).any()
    assert torch.allclose(instances.states[background, 0],
                          teacher_probs[background, NUM_CLASSES])
    # Positives carry the labels of their images' boxes.
    positive_labels = set(sampled.labels[~background].tolist())
    assert positive_labels <= {1, 3, 7}


def test_foreground_only_distillation(teacher_ckpt):
    model = _build(teacher_ckpt, distill_background=False)
    model.train()
    captured = _record(model)
    losses = model.loss(*_batch())

    instances, image_index, _ = model.temperature_source.calls[0]
    sampled = captured['sampled']
    num_positive = int((sampled.labels < NUM_CLASSES).sum())
    assert len(instances) == num_positive
    assert losses['loss_kd_roi'] > 0


def test_images_without_objects(teacher_ckpt):
    model = _build(teacher_ckpt)
    model.train()
    losses = model.loss(*_empty_batch())
    # Every sampled RoI is background, and background RoIs are distilled.
    assert losses['loss_kd_roi'] > 0
    assert losses['loss_bbox'] == 0
    _total(losses).backward()

    model = _build(teacher_ckpt, distill_background=False)
    model.train()
    losses = model.loss(*_empty_batch())
    assert losses['loss_kd_roi'] == 0
    total = _total(losses)
    assert torch.isfinite(total)
    total.backward()


def test_rlkd_agent_temperatures(teacher_ckpt):
    model = _build(teacher_ckpt, config=RLKD_CONFIG)
    assert isinstance(model.temperature_source, RLKDTemperature)
    agent = RLKDAgent(temperature_range=(2.0, 3.0), initial_temperature=2.5)
    model.temperature_source.bind_agent(agent)
    model.temperature_source.agent_acting = True
    model.train()
    losses = model.loss(*_batch())
    temperature = model.temperature_source.last_temperature
    assert temperature.numel() == 128
    assert temperature.min() >= 2.0
    assert temperature.max() <= 3.0
    assert agent.tracker.num_seen == 2
    assert torch.isfinite(losses['loss_kd_roi'])


def test_exploration_mixes_images(teacher_ckpt):
    model = _build(teacher_ckpt, config=RLKD_CONFIG)
    agent = RLKDAgent()
    model.temperature_source.bind_agent(agent)
    ids = torch.arange(10)
    # Id 0 is the most uncertain; id 8 falls in the 80-90 % band and is
    # mixed with a hard image.
    agent.tracker.update(ids, 1.0 - ids.float() / 10)
    model.exploration_active = True
    boxes = [((4, 4, 30, 30), )] * 10
    inputs, samples = _batch(boxes, [(i % NUM_CLASSES, ) for i in range(10)])
    for i, sample in enumerate(samples):
        sample.set_metainfo(dict(img_id=i))
    model.train()
    losses = model.loss(inputs, samples)
    assert torch.isfinite(_total(losses))
    # The easy image gained the hard image's box.
    assert len(samples[8].gt_instances) == 2
    assert len(samples[0].gt_instances) == 1


def test_teacher_frozen_during_training(teacher_ckpt):
    model = _build(teacher_ckpt)
    model.train()
    assert not model.teacher.training
    assert all(not p.requires_grad for p in model.teacher.parameters())
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    student_before = model.roi_head.bbox_head.fc_cls.weight.clone()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-2)
    for step in range(3):
        batch = _batch() if step != 1 else _empty_batch()
        losses = model.loss(*batch)
        optimizer.zero_grad()
        _total(losses).backward()
        optimizer.step()
    # Parameters and BatchNorm buffers (running stats) are unchanged.
    for name, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[name]), name
    assert not torch.equal(model.roi_head.bbox_head.fc_cls.weight,
                           student_before)


def test_predict_with_and_without_objects(teacher_ckpt):
    model = _build(teacher_ckpt)
    model.eval()
    inputs, samples = _batch(
        boxes_per_image=(((4, 4, 30, 30), ), ()),
        labels_per_image=((1, ), ()))
    with torch.no_grad():
        results = model.predict(inputs, samples)
    assert len(results) == 2
    for result in results:
        boxes = result.pred_instances.bboxes
        assert boxes.dim() == 2
        assert boxes.size(1) == 4
        assert len(result.pred_instances.scores) == boxes.size(0)
        assert (result.pred_instances.labels < NUM_CLASSES).all()


def test_teacher_loaded_not_reinitialised(teacher_ckpt):
    model = _build(teacher_ckpt)
    saved = torch.load(teacher_ckpt)['state_dict']
    for name, value in model.teacher.state_dict().items():
        assert torch.equal(value, saved[name]), name


def test_class_count_mismatch_names_both(teacher_ckpt):
    with pytest.raises(ValueError) as error:
        _build(teacher_ckpt, roi_head=dict(bbox_head=dict(num_classes=7)))
    message = str(error.value)
    assert 'teacher has 10 classes, student has 7' in message
    assert 'faster-rcnn_teacher_digits.py' in message
    assert 'model.roi_head.bbox_head.num_classes' in message


def test_plain_roi_head_rejected(teacher_ckpt):
    with pytest.raises(TypeError, match='RLKDStandardRoIHead'):
        _build(teacher_ckpt, roi_head=dict(type='StandardRoIHead'))


def test_single_stage_teacher_rejected():
    with pytest.raises(TypeError, match='two-stage teacher'):
        _build(
            None,
            teacher_config=osp.join(ROOT,
                                    'configs/demo/gfl_teacher_digits.py'))


def test_other_input_normalization_rejected():
    teacher = Config.fromfile(TEACHER_CONFIG)
    teacher.model.data_preprocessor.update(
        mean=[103.53, 116.28, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False)
    with pytest.raises(ValueError, match='same data_preprocessor'):
        _build(None, teacher_config=teacher.to_dict())


def test_missing_teacher_config_lists_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as error:
        _build(None, teacher_config='no/such/teacher.py')
    message = str(error.value)
    assert str(tmp_path / 'no/such/teacher.py') in message
    assert osp.join(ROOT, 'no/such/teacher.py') in message


def test_relative_teacher_config_from_other_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _build(
        None, teacher_config='configs/demo/faster-rcnn_teacher_digits.py')
    assert model.teacher.backbone.base_channels == 32


def test_unknown_mmdet_teacher_name():
    with pytest.raises(FileNotFoundError, match='faster-rcnn_r7_fpn'):
        _build(None, teacher_config='mmdet::faster_rcnn/faster-rcnn_r7_fpn.py')


def test_mismatched_teacher_checkpoint_lists_keys(teacher_ckpt, tmp_path):
    state = torch.load(teacher_ckpt)['state_dict']
    state.pop('roi_head.bbox_head.fc_cls.weight')
    state['roi_head.extra.weight'] = torch.zeros(1)
    path = str(tmp_path / 'wrong.pth')
    torch.save(dict(state_dict=state), path)
    with pytest.raises(ValueError) as error:
        _build(path)
    message = str(error.value)
    assert 'wrong.pth' in message
    assert '1 keys of the teacher are missing' in message
    assert 'roi_head.bbox_head.fc_cls.weight' in message
    assert '1 keys of the checkpoint are not in the teacher' in message
    assert 'roi_head.extra.weight' in message


def test_teacher_checkpoint_shape_mismatch(teacher_ckpt, tmp_path):
    state = torch.load(teacher_ckpt)['state_dict']
    # The classifier of a teacher trained on 7 classes (+ background).
    state['roi_head.bbox_head.fc_cls.weight'] = torch.zeros(8, 128)
    state['roi_head.bbox_head.fc_cls.bias'] = torch.zeros(8)
    path = str(tmp_path / 'seven_classes.pth')
    torch.save(dict(state_dict=state), path)
    with pytest.raises(ValueError) as error:
        _build(path)
    message = str(error.value)
    assert 'seven_classes.pth' in message
    assert 'faster-rcnn_teacher_digits.py' in message
    assert 'size mismatch for roi_head.bbox_head.fc_cls.weight' in message


def test_distiller_checkpoint_as_teacher_hint(teacher_ckpt, tmp_path):
    state = torch.load(teacher_ckpt)['state_dict']
    state = {f'teacher.{k}': v for k, v in state.items()}
    path = str(tmp_path / 'distiller.pth')
    torch.save(dict(state_dict=state), path)
    with pytest.raises(ValueError, match='tools/export_student.py'):
        _build(path)


def test_missing_teacher_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        _build(str(tmp_path / 'missing.pth'))


def _tiny_resnet(model_cfg, classes=None):
    """Shrink an mmdet ResNet-FPN Faster R-CNN config for CPU tests."""
    model_cfg.backbone.update(depth=18, base_channels=8, init_cfg=None)
    model_cfg.neck.update(in_channels=[8, 16, 32, 64], out_channels=32)
    model_cfg.rpn_head.update(in_channels=32, feat_channels=32)
    model_cfg.roi_head.bbox_roi_extractor.out_channels = 32
    model_cfg.roi_head.bbox_head.update(in_channels=32, fc_out_channels=64)
    model_cfg.train_cfg.rcnn.sampler.num = 64
    return model_cfg


@pytest.mark.parametrize('name', [
    'faster-rcnn_kd_r18-r101_fpn_1x_coco.py',
    'faster-rcnn_kd-rlkd_r18-r101_fpn_1x_coco.py',
    'faster-rcnn_kd_r50-r101_fpn_1x_coco.py',
    'faster-rcnn_kd-rlkd_r50-r101_fpn_1x_coco.py',
])
def test_coco_configs_build_and_train(name):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/rlkd', name))
    assert cfg.model.type == 'RLKDTwoStageDetector'
    assert cfg.model.teacher_ckpt.startswith('https://download.openmmlab')
    assert cfg.train_dataloader.dataset.data_root == 'data/coco/'
    expected_depth = 18 if '_r18-' in name else 50
    assert cfg.model.backbone.depth == expected_depth

    # The real teacher is R-101; the test shrinks both networks alike.
    teacher = get_config(cfg.model.teacher_config)
    assert teacher.model.backbone.depth == 101
    model_cfg = _tiny_resnet(copy.deepcopy(cfg.model))
    model_cfg.teacher_config = dict(model=_tiny_resnet(teacher.model))
    model_cfg.teacher_ckpt = None
    model = MODELS.build(model_cfg)
    model.init_weights()

    if 'rlkd' in name:
        assert isinstance(model.temperature_source, RLKDTemperature)
        assert [h.type for h in cfg.custom_hooks] == ['RLKDHook']
        hook = RLKDHook(**{
            k: v
            for k, v in cfg.custom_hooks[0].items() if k != 'type'
        })
        hook.agent = RLKDAgent(**hook.agent_cfg)
        model.temperature_source.bind_agent(hook.agent)
        model.temperature_source.agent_acting = True
        low, high = hook.agent_cfg['temperature_range']
    else:
        assert isinstance(model.temperature_source, FixedTemperature)

    model.train()
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    assert losses['loss_kd_roi'] > 0
    _total(losses).backward()
    if 'rlkd' in name:
        temperature = model.temperature_source.last_temperature
        assert low <= temperature.min() <= temperature.max() <= high

    model.eval()
    with torch.no_grad():
        results = model.predict(*_empty_batch())
    assert len(results) == 2
