"""RLKDClassifierDistiller: teacher, temperatures, losses and exploration."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.logging import MessageHub
from torch import Tensor

from rlkd_mmdet.cls import ClsDataSample, RLKDClassifierDistiller
from rlkd_mmdet.models.temperature import BaseTemperatureSource
from rlkd_mmdet.rl import RLKDAgent, UncertaintyTracker

NUM_CLASSES = 10


def classifier(depth: int = 8, width: int = 16, num_classes: int = 10,
               data_preprocessor=None) -> dict:
    channels = (width, 2 * width, 4 * width)
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='CifarResNet',
            depth=depth,
            stem_channels=width,
            stage_channels=channels),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=channels[-1]),
        data_preprocessor=data_preprocessor)


TEACHER_CONFIG = classifier(depth=8, width=16)
STUDENT_CONFIG = classifier(depth=8, width=8)


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    teacher = MODELS.build(TEACHER_CONFIG)
    teacher.init_weights()
    # Confident logits, as a trained teacher gives, so KD terms are large.
    teacher.head.fc.weight.data.normal_(0.0, 1.0)
    # BN statistics that differ from a fresh layer, so reloading is visible.
    for name, buffer in teacher.named_buffers():
        if name.endswith('running_mean'):
            buffer.uniform_(-0.1, 0.1)
    path = str(tmp_path_factory.mktemp('teacher') / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return path


def build(teacher_ckpt: str, **overrides) -> RLKDClassifierDistiller:
    cfg = dict(
        type='RLKDClassifierDistiller',
        student=copy.deepcopy(STUDENT_CONFIG),
        teacher_config=copy.deepcopy(TEACHER_CONFIG),
        teacher_ckpt=teacher_ckpt)
    cfg.update(overrides)
    torch.manual_seed(1)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def make_batch(num: int = 4, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(num, 3, 32, 32, generator=generator)
    labels = torch.randint(NUM_CLASSES, (num, ), generator=generator)
    samples = [
        ClsDataSample(metainfo=dict(sample_idx=i)).set_gt_label(int(label))
        for i, label in enumerate(labels)
    ]
    return inputs, samples, labels


def hinton_kd(student: Tensor, teacher: Tensor,
              temperature: Tensor) -> Tensor:
    """T_i^2 * KL(softmax(t_i / T_i) || softmax(s_i / T_i)) of every row."""
    t = temperature[:, None]
    p_teacher = F.softmax(teacher / t, dim=1)
    log_student = F.log_softmax(student / t, dim=1)
    kl = (p_teacher * (p_teacher.log() - log_student)).sum(dim=1)
    return temperature.pow(2) * kl


class ListedTemperature(BaseTemperatureSource):
    """Give the images of a batch the listed temperatures and weights."""

    def __init__(self, temperature, weight=None):
        super().__init__()
        self.temperature = torch.tensor(temperature)
        self.weight = None if weight is None else torch.tensor(weight)
        self.calls = []

    def forward(self, instances, image_index, image_ids=None):
        self.calls.append((instances, image_index, image_ids))
        return self._remember(self.temperature), self.weight


def test_teacher_loaded_and_not_reinitialised(teacher_ckpt):
    model = build(teacher_ckpt)
    saved = torch.load(teacher_ckpt)['state_dict']
    for name, value in model.teacher.state_dict().items():
        assert torch.equal(value, saved[name]), name


def test_teacher_frozen_after_sgd_steps(teacher_ckpt):
    model = build(teacher_ckpt)
    model.train()
    assert not model.teacher.training
    assert model.student.training
    assert all(not p.requires_grad for p in model.teacher.parameters())

    teacher_before = copy.deepcopy(model.teacher.state_dict())
    student_before = copy.deepcopy(model.student.state_dict())
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    for step in range(3):
        inputs, samples, _ = make_batch(seed=step)
        losses = model(inputs, samples, mode='loss')
        loss = sum(losses.values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    # Parameters and BN buffers (running statistics included) are unchanged.
    for name, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[name]), name
    changed = [
        name for name, value in model.student.state_dict().items()
        if not torch.equal(value, student_before[name])
    ]
    assert 'head.fc.weight' in changed
    assert 'backbone.stem.1.running_mean' in changed


def test_losses_match_hinton_kd(teacher_ckpt):
    model = build(teacher_ckpt)
    model.train()
    inputs, samples, labels = make_batch()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_ce', 'loss_kd'}

    with torch.no_grad():
        student = model.student.get_logits(inputs)
        teacher = model.teacher.get_logits(inputs)
    expected_kd = 0.9 * hinton_kd(student, teacher,
                                  torch.full((4, ), 4.0)).mean()
    expected_ce = 0.1 * F.cross_entropy(student, labels)
    assert losses['loss_kd'].item() == pytest.approx(
        expected_kd.item(), rel=1e-4)
    assert losses['loss_ce'].item() == pytest.approx(
        expected_ce.item(), rel=1e-5)
    assert model.temperature_source.last_temperature.tolist() == [4.0] * 4


def test_kd_loss_depends_on_temperature(teacher_ckpt):
    model = build(teacher_ckpt)
    model.train()
    inputs, samples, _ = make_batch()
    values = {}
    for temperature in (1.0, 8.0):
        model.temperature_source = MODELS.build(
            dict(type='FixedTemperature', temperature=temperature))
        values[temperature] = model(inputs, samples, mode='loss')['loss_kd']
    assert values[1.0].item() > 0
    assert values[8.0].item() > 0
    assert abs(values[1.0].item() - values[8.0].item()) > 1e-3 * max(
        values[1.0].item(), values[8.0].item())


def test_per_image_temperatures_and_weights(teacher_ckpt):
    model = build(teacher_ckpt)
    model.train()
    source = ListedTemperature([1.0, 2.0, 4.0, 8.0],
                               weight=[0.0, 1.0, 0.5, 2.0])
    model.temperature_source = source
    inputs, samples, labels = make_batch()
    losses = model(inputs, samples, mode='loss')

    instances, image_index, image_ids = source.calls[-1]
    assert image_index.tolist() == [0, 1, 2, 3]
    assert image_ids.dtype == torch.long
    assert image_ids.tolist() == [0, 1, 2, 3]
    with torch.no_grad():
        student = model.student.get_logits(inputs)
        teacher = model.teacher.get_logits(inputs)
    # The states hold the softmax probabilities of the ground truth.
    rows = torch.arange(4)
    assert torch.allclose(instances.states[:, 0],
                          teacher.softmax(1)[rows, labels], atol=1e-6)
    assert torch.allclose(instances.states[:, 1],
                          student.softmax(1)[rows, labels], atol=1e-6)

    per_row = hinton_kd(student, teacher, source.temperature)
    expected = 0.9 * (per_row * source.weight).mean()
    assert losses['loss_kd'].item() == pytest.approx(
        expected.item(), rel=1e-4)


def test_bound_agent_temperatures_in_bounds(teacher_ckpt):
    model = build(
        teacher_ckpt,
        temperature_source=dict(type='RLKDTemperature',
                                warmup_temperature=4.0))
    agent = RLKDAgent(temperature_range=(2.0, 3.0), initial_temperature=2.5)
    model.temperature_source.bind_agent(agent)
    model.temperature_source.agent_acting = True
    model.train()
    inputs, samples, _ = make_batch(num=6)
    losses = model(inputs, samples, mode='loss')

    temperature = model.temperature_source.last_temperature
    assert temperature.shape == (6, )
    assert temperature.min() >= 2.0
    assert temperature.max() <= 3.0
    assert torch.isfinite(losses['loss_kd'])
    # Every image id was tracked for the efficient exploration.
    assert agent.tracker.num_seen == 6


def _agent_with_ranked_ids(num: int = 10) -> RLKDAgent:
    agent = RLKDAgent()
    # The first update sets the estimates. With momentum 0.999 the updates
    # of later training steps cannot reorder them.
    agent.tracker = UncertaintyTracker(momentum=0.999)
    ids = torch.arange(num)
    # Id 0 is the most uncertain. Id 1 falls in the 10-20 % band and id 8
    # in the 80-90 % band.
    agent.tracker.update(ids, 1.0 - ids.float() / num)
    return agent


def test_mixing_changes_only_easy_images(teacher_ckpt):
    model = build(teacher_ckpt)
    agent = _agent_with_ranked_ids()
    model.temperature_source = MODELS.build(dict(type='RLKDTemperature'))
    model.temperature_source.bind_agent(agent)
    inputs, samples, labels = make_batch(num=10)
    targets = F.one_hot(labels, NUM_CLASSES).float()
    ids = torch.arange(10)

    generator_state = agent.update_generator.get_state()
    mixed, mixed_targets = model._mix_uncertain_images(inputs, targets, ids)
    agent.update_generator.set_state(generator_state)
    easy, hard, lam = agent.mixing_pairs(ids)
    assert easy.tolist() == [8]
    assert hard.tolist() == [1]

    changed = [i for i in range(10) if not torch.equal(mixed[i], inputs[i])]
    assert changed == [8]
    lam = lam[0]
    assert 0.7 <= lam <= 1.0
    assert torch.allclose(mixed[8], lam * inputs[8] + (1 - lam) * inputs[1])
    expected_target = lam * targets[8] + (1 - lam) * targets[1]
    assert torch.allclose(mixed_targets[8], expected_target)
    assert torch.equal(mixed_targets[:8], targets[:8])
    assert torch.equal(mixed_targets[9], targets[9])
    # The original batch is left untouched.
    assert torch.equal(targets[8], F.one_hot(labels[8], NUM_CLASSES).float())


def test_exploration_mixes_in_loss_with_soft_ce(teacher_ckpt):
    model = build(
        teacher_ckpt, temperature_source=dict(type='RLKDTemperature'))
    agent = _agent_with_ranked_ids()
    model.temperature_source.bind_agent(agent)
    model.train()
    inputs, samples, labels = make_batch(num=10)

    model.exploration_active = False
    model(inputs, samples, mode='loss')
    assert model._last_mix is None

    model.exploration_active = True
    losses = model(inputs, samples, mode='loss')
    mixed_ids, easy, hard, lam = model._last_mix
    assert mixed_ids.tolist() == list(range(10))
    assert easy.tolist() == [8]
    assert hard.tolist() == [1]

    mixed_inputs = inputs.clone()
    mixed_inputs[8] = lam[0] * inputs[8] + (1 - lam[0]) * inputs[1]
    targets = F.one_hot(labels, NUM_CLASSES).float()
    targets[8] = lam[0] * targets[8] + (1 - lam[0]) * targets[1]
    with torch.no_grad():
        student = model.student.get_logits(mixed_inputs)
    soft_ce = -(targets * student.log_softmax(dim=1)).sum(dim=1).mean()
    assert losses['loss_ce'].item() == pytest.approx(
        0.1 * soft_ce.item(), rel=1e-5)


def test_class_count_mismatch_raises(teacher_ckpt):
    student = classifier(depth=8, width=8, num_classes=7)
    with pytest.raises(ValueError, match='teacher has 10 classes, student '
                       'has 7'):
        build(teacher_ckpt, student=student)


def test_unknown_kd_loss_raises(teacher_ckpt):
    with pytest.raises(ValueError, match="kd_loss 'kl' is not one of"):
        build(teacher_ckpt, kd_loss='kl')


def test_dkd_loss_key_and_warmup_from_message_hub(teacher_ckpt):
    model = build(
        teacher_ckpt,
        kd_loss=dict(type='InstanceDKDLoss', beta=2.0, warmup_epochs=20))
    model.train()
    inputs, samples, _ = make_batch()
    # The distiller reads the epoch that mmengine's RuntimeInfoHook stores.
    hub = MessageHub.get_current_instance()
    saved_epoch = hub.get_info('epoch')
    try:
        hub.update_info('epoch', 9)
        losses = model(inputs, samples, mode='loss')
        model.kd_loss.warmup_epochs = 0
        full = model(inputs, samples, mode='loss')['loss_dkd']
    finally:
        if saved_epoch is None:
            hub.runtime_info.pop('epoch', None)
        else:
            hub.update_info('epoch', saved_epoch)
    assert set(losses) == {'loss_ce', 'loss_dkd'}
    # Epoch 9 (0-based) of a 20-epoch warm-up: half of the loss.
    assert losses['loss_dkd'].item() == pytest.approx(
        0.5 * full.item(), rel=1e-5)
    assert full.item() > 0


def test_predict_and_tensor_run_the_student(teacher_ckpt):
    model = build(teacher_ckpt)
    model.eval()
    inputs, samples, _ = make_batch()
    with torch.no_grad():
        logits = model(inputs, mode='tensor')
        expected = model.student.get_logits(inputs)
        results = model(inputs, samples, mode='predict')
    assert torch.equal(logits, expected)
    assert len(results) == 4
    for result, row in zip(results, expected):
        assert torch.allclose(result.pred_score, row.softmax(dim=0))
        assert result.pred_label.item() == int(row.argmax())


def test_evaluate_instances_keeps_bn_statistics(teacher_ckpt):
    model = build(teacher_ckpt)
    model.train()
    generator = torch.Generator().manual_seed(3)
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8,
                           generator=generator)
    labels = [3, 1, 4, 1]
    data_batch = dict(
        inputs=list(images),
        data_samples=[
            ClsDataSample(metainfo=dict(sample_idx=i)).set_gt_label(label)
            for i, label in enumerate(labels)
        ])
    before = copy.deepcopy(model.student.state_dict())

    states = model.evaluate_instances(data_batch)

    for name, value in model.student.state_dict().items():
        assert torch.equal(value, before[name]), name
    assert states.states.shape == (4, 3)
    inputs = images.float()
    with torch.no_grad():
        # Training mode: normalised with the statistics of this batch.
        student = model.student.get_logits(inputs).softmax(dim=1)
        teacher = model.teacher.get_logits(inputs).softmax(dim=1)
    rows = torch.arange(4)
    label_tensor = torch.tensor(labels)
    assert torch.allclose(states.states[:, 0], teacher[rows, label_tensor],
                          atol=1e-6)
    assert torch.allclose(states.student_gt_prob,
                          student[rows, label_tensor], atol=1e-6)


def test_evaluate_instances_repeats_the_last_mix(teacher_ckpt):
    model = build(
        teacher_ckpt, temperature_source=dict(type='RLKDTemperature'))
    model.temperature_source.bind_agent(_agent_with_ranked_ids())
    generator = torch.Generator().manual_seed(4)
    images = torch.randint(0, 256, (10, 3, 32, 32), dtype=torch.uint8,
                           generator=generator)
    data_batch = dict(
        inputs=list(images),
        data_samples=[
            ClsDataSample(metainfo=dict(sample_idx=i)).set_gt_label(i)
            for i in range(10)
        ])
    model.train()
    model.exploration_active = True
    data = model.data_preprocessor(data_batch, True)
    model(**data, mode='loss')
    assert model._last_mix is not None

    # In eval mode every image is scored on its own, so only the mixed
    # image's state differs from a plain re-evaluation.
    model.eval()
    mixed = model.evaluate_instances(data_batch).states
    model._last_mix = None
    plain = model.evaluate_instances(data_batch).states
    differs = (mixed - plain).abs().sum(dim=1) > 1e-6
    assert differs.nonzero().flatten().tolist() == [8]


def test_evaluate_instances_uses_kept_batch(teacher_ckpt):
    model = build(
        teacher_ckpt, temperature_source=dict(type='RLKDTemperature'))
    model.temperature_source.bind_agent(_agent_with_ranked_ids())
    model.keep_last_batch = True
    model.exploration_active = True
    model.train()
    inputs, samples, _ = make_batch(num=10)
    optimizer = torch.optim.SGD(model.student.parameters(), lr=0.1)
    losses = model(inputs, samples, mode='loss')
    optimizer.zero_grad()
    sum(losses.values()).backward()
    optimizer.step()
    kept_inputs, kept_targets = model._last_batch
    _, easy, hard, lam = model._last_mix
    # The kept images are the blended ones that the step trained on.
    assert torch.allclose(kept_inputs[8],
                          lam[0] * inputs[8] + (1 - lam[0]) * inputs[1])
    before = copy.deepcopy(model.student.state_dict())

    states = model.evaluate_instances()

    for name, value in model.student.state_dict().items():
        assert torch.equal(value, before[name]), name
    with torch.no_grad():
        student = model.student.get_logits(kept_inputs).softmax(dim=1)
    labels = kept_targets.argmax(dim=1)
    assert torch.allclose(states.student_gt_prob,
                          student[torch.arange(10), labels], atol=1e-6)
    # The kept batch is used once.
    assert model._last_batch is None
    with pytest.raises(RuntimeError, match='no training batch is kept'):
        model.evaluate_instances()
