import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

import rlkd_mmdet.models  # noqa: F401
from rlkd_mmdet.rl import RLKDAgent, UncertaintyTracker

from ..conftest import ROOT
from .test_rlkd_ld_head import _samples

register_all_modules()
TEACHER_CONFIG = osp.join(ROOT, 'configs/demo/gfl_teacher_digits.py')
STUDENT_CONFIG = osp.join(ROOT, 'configs/demo/ld_rlkd_student_digits.py')


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    teacher = MODELS.build(Config.fromfile(TEACHER_CONFIG).model)
    path = str(tmp_path_factory.mktemp('teacher') / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return path


def _build(teacher_ckpt, **overrides):
    cfg = Config.fromfile(STUDENT_CONFIG).model
    cfg.teacher_config = TEACHER_CONFIG
    cfg.teacher_ckpt = teacher_ckpt
    for key, value in overrides.items():
        if key == 'bbox_head':
            cfg.bbox_head.update(value)
        else:
            cfg[key] = value
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _batch(num_images=2, boxes=((4, 4, 30, 30), (40, 40, 70, 80))):
    inputs = torch.rand(num_images, 3, 96, 96) * 255
    samples = _samples([list(boxes)] * num_images)
    for sample in samples:
        sample.set_metainfo(
            dict(img_shape=(96, 96), pad_shape=(96, 96),
                 batch_input_shape=(96, 96)))
    return inputs, samples


def test_teacher_loaded_and_not_reinitialised(teacher_ckpt):
    model = _build(teacher_ckpt)
    saved = torch.load(teacher_ckpt)['state_dict']
    for name, value in model.teacher.state_dict().items():
        assert torch.equal(value, saved[name]), name


def test_teacher_frozen_during_training(teacher_ckpt):
    model = _build(
        teacher_ckpt,
        temperature_source=dict(type='FixedTemperature', temperature=10.0))
    model.train()
    assert not model.teacher.training
    assert all(not p.requires_grad for p in model.teacher.parameters())
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    for _ in range(3):
        inputs, samples = _batch()
        losses = model.loss(inputs, samples)
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for name, value in model.teacher.state_dict().items():
        assert torch.equal(value, before[name]), name
    # The student did change.
    assert losses['loss_ld'] > 0


def test_rlkd_source_uses_agent_temperatures(teacher_ckpt):
    model = _build(teacher_ckpt)
    agent = RLKDAgent(temperature_range=(2.0, 3.0), initial_temperature=2.5)
    model.temperature_source.bind_agent(agent)
    model.temperature_source.agent_acting = True
    model.train()
    inputs, samples = _batch()
    model.loss(inputs, samples)
    temperature = model.temperature_source.last_temperature
    assert temperature.numel() > 0
    assert temperature.min() >= 2.0
    assert temperature.max() <= 3.0
    # Both image ids were tracked for exploration.
    assert agent.tracker.num_seen == 2


def test_empty_images_train(teacher_ckpt):
    model = _build(teacher_ckpt)
    model.train()
    inputs, samples = _batch(boxes=())
    losses = model.loss(inputs, samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()


def test_exploration_mixes_hard_into_easy_images(teacher_ckpt):
    model = _build(teacher_ckpt)
    agent = RLKDAgent()
    agent.tracker = UncertaintyTracker(momentum=0.0)
    ids = torch.arange(10)
    # Id 0 is the most uncertain; id 1 falls in the 10-20 % band and id 8
    # in the 80-90 % band.
    agent.tracker.update(ids, 1.0 - ids.float() / 10)
    model.temperature_source.bind_agent(agent)
    inputs, samples = _batch(num_images=10)
    for i, sample in enumerate(samples):
        sample.set_metainfo(dict(img_id=i))
    mixed = model._mix_uncertain_images(inputs, samples, ids)
    changed = [i for i in range(10) if not torch.equal(mixed[i], inputs[i])]
    assert changed == [8]
    # The easy image gained the hard image's boxes.
    assert len(samples[8].gt_instances) == 4
    assert len(samples[1].gt_instances) == 2


def test_class_count_mismatch_raises(teacher_ckpt):
    with pytest.raises(ValueError, match='teacher has 10 classes'):
        _build(teacher_ckpt, bbox_head=dict(num_classes=7))


def test_missing_teacher_config_names_paths(teacher_ckpt):
    with pytest.raises(FileNotFoundError, match='tried'):
        _build(teacher_ckpt, teacher_config='no/such/teacher.py')


def test_missing_teacher_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match='teacher checkpoint'):
        _build(str(tmp_path / 'missing.pth'))


def test_same_batch_reevaluation(teacher_ckpt):
    model = _build(teacher_ckpt)
    agent = RLKDAgent(reward_mode='same_batch')
    agent.recording = True
    model.temperature_source.bind_agent(agent)
    model.temperature_source.agent_acting = True
    model.keep_last_batch = True
    model.train()
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    num_instances = len(agent._pending['states'])
    before = agent._pending['metric']
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    with torch.no_grad():
        for param in model.parameters():
            if param.grad is not None:
                param -= 0.5 * param.grad

    norm = model.backbone.bn1
    running_mean = norm.running_mean.clone()
    after = model.evaluate_instances()
    assert torch.equal(norm.running_mean, running_mean)
    assert len(after) == num_instances
    agent.complete_pending(after)
    reward = agent.buffer.episodes[0].batch_reward
    assert torch.isclose(reward, after.student_gt_prob.mean() - before)
    assert reward != 0
