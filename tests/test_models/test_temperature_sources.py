"""Tests of the CTKD and logit-standardisation temperature sources."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.logging import MessageHub

import rlkd_mmdet.models  # noqa: F401
from rlkd_mmdet.models.losses import InstanceKDLoss
from rlkd_mmdet.models.temperature import (CTKDTemperature,
                                           LogitStandardKDLoss,
                                           LogitStandardTemperature,
                                           cosine_curriculum,
                                           standardize_logits)
from rlkd_mmdet.rl import InstanceStates


def make_instances(states: torch.Tensor) -> InstanceStates:
    num = states.size(0)
    return InstanceStates(states, torch.zeros(num), torch.zeros(num))


STATES = torch.tensor([[0.9, 0.2, 0.1], [0.5, 0.5, 0.0], [0.1, 0.8, 0.7]])


@pytest.fixture
def epoch():
    """Set the message hub's epoch for a test and clear it afterwards."""
    hub = MessageHub.get_current_instance()

    def set_epoch(value):
        hub.update_info('epoch', value)

    yield set_epoch
    hub.update_info('epoch', 0)


def kd_loss(temperature: torch.Tensor) -> torch.Tensor:
    torch.manual_seed(0)
    student = torch.randn(3, 5)
    teacher = torch.randn(3, 5) * 3
    loss = InstanceKDLoss(class_reduction='sum')
    return loss(student, teacher, temperature)


def test_cosine_curriculum_values():
    assert cosine_curriculum(0, 0.0, 1.0, 10) == pytest.approx(0.0)
    assert cosine_curriculum(5, 0.0, 1.0, 10) == pytest.approx(0.5)
    assert cosine_curriculum(10, 0.0, 1.0, 10) == pytest.approx(1.0)
    assert cosine_curriculum(25, 0.0, 1.0, 10) == pytest.approx(1.0)
    # A quarter of the way: (1 + cos(1.25 pi)) / 2.
    expected = 0.2 + 0.6 * (1 + math.cos(1.25 * math.pi)) / 2
    assert cosine_curriculum(2.5, 0.2, 0.8, 10) == pytest.approx(expected)


def test_ctkd_global_formula_and_bounds():
    source = CTKDTemperature(mode='global', initial_temperature=4.0)
    temperature, kd_weight = source(make_instances(STATES), torch.zeros(3))
    assert kd_weight is None
    assert temperature.shape == (3, )
    assert torch.allclose(temperature, torch.full((3, ), 4.0))

    with torch.no_grad():
        source.logit.fill_(0.3)
    temperature, _ = source(make_instances(STATES), torch.zeros(3))
    expected = 1 + 20 * torch.sigmoid(torch.tensor(0.3))
    assert torch.allclose(temperature, expected.expand(3))

    for logit in (-50.0, 50.0):
        with torch.no_grad():
            source.logit.fill_(logit)
        temperature, _ = source(make_instances(STATES), torch.zeros(3))
        assert temperature.min() >= 1.0
        assert temperature.max() <= 21.0


def test_ctkd_instance_formula():
    torch.manual_seed(0)
    source = CTKDTemperature(mode='instance', hidden_dim=8)
    torch.nn.init.normal_(source.mlp[2].weight)
    temperature, _ = source(make_instances(STATES), torch.zeros(3))
    expected = 1 + 20 * torch.sigmoid(source.mlp(STATES)[:, 0])
    assert torch.allclose(temperature, expected)
    assert temperature.unique().numel() == 3
    assert (temperature >= 1).all()
    assert (temperature <= 21).all()


def test_ctkd_instance_starts_at_initial():
    source = CTKDTemperature(mode='instance', initial_temperature=7.0)
    temperature, _ = source(make_instances(STATES), torch.zeros(3))
    assert torch.allclose(temperature, torch.full((3, ), 7.0))


def test_ctkd_gradient_is_reversed(epoch):
    source = CTKDTemperature(
        mode='global', lambda_min=0.0, lambda_max=1.0, curriculum_epochs=10)
    epoch(5)  # lambda = 0.5
    temperature, _ = source(make_instances(STATES), torch.zeros(3))
    kd_loss(temperature).backward()
    reversed_grad = source.logit.grad.clone()

    # d(loss)/d(logit) without reversal, by autograd on the same formula.
    logit = source.logit.detach().clone().requires_grad_(True)
    plain = 1 + 20 * torch.sigmoid(logit).expand(3)
    kd_loss(plain).backward()
    assert reversed_grad.item() != 0
    assert torch.sign(reversed_grad) == -torch.sign(logit.grad)
    assert torch.allclose(reversed_grad, -0.5 * logit.grad)


def test_ctkd_sgd_step_raises_kd_loss(epoch):
    source = CTKDTemperature(mode='instance', lambda_max=1.0,
                             curriculum_epochs=2)
    epoch(2)  # lambda = 1
    # A small step, so the first-order direction decides the change.
    optimizer = torch.optim.SGD(source.parameters(), lr=1e-3)
    before, _ = source(make_instances(STATES), torch.zeros(3))
    loss_before = kd_loss(before)
    optimizer.zero_grad()
    loss_before.backward()
    optimizer.step()

    # The student minimises the KD loss, the temperature maximises it.
    after, _ = source(make_instances(STATES), torch.zeros(3))
    assert not torch.allclose(after, before.detach())
    assert kd_loss(after) > loss_before


def test_ctkd_gradient_zero_at_epoch_zero(epoch):
    source = CTKDTemperature(mode='instance', lambda_min=0.0)
    epoch(0)
    temperature, _ = source(make_instances(STATES), torch.zeros(3))
    kd_loss(temperature).backward()
    for param in source.parameters():
        assert torch.count_nonzero(param.grad) == 0


def test_ctkd_reads_epoch(epoch):
    source = CTKDTemperature(
        lambda_min=0.1, lambda_max=0.9, curriculum_epochs=4)
    epoch(0)
    assert source.current_lambda() == pytest.approx(0.1)
    epoch(2)
    assert source.current_lambda() == pytest.approx(0.5)
    epoch(4)
    assert source.current_lambda() == pytest.approx(0.9)


def test_ctkd_parameters_in_distiller_optimizer():
    wrapper = torch.nn.Module()
    wrapper.temperature_source = MODELS.build(
        dict(type='CTKDTemperature', mode='global'))
    names = [name for name, _ in wrapper.named_parameters()]
    assert names == ['temperature_source.logit']


def test_ctkd_empty_batch():
    source = CTKDTemperature(mode='instance')
    temperature, _ = source(make_instances(torch.zeros(0, 3)), torch.zeros(0))
    assert temperature.shape == (0, )


@pytest.mark.parametrize(
    'kwargs, message',
    [(dict(mode='image'), "'global' or 'instance'"),
     (dict(lambda_min=1.0, lambda_max=0.5), 'lambda_min=1.0'),
     (dict(curriculum_epochs=0), 'got 0'),
     (dict(initial_temperature=30.0), 'got 30.0')])
def test_ctkd_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CTKDTemperature(**kwargs)


def test_ls_temperature_from_teacher_std():
    teacher = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0],
                            [5.0, 5.0, 5.0]])
    student = torch.tensor([[9.0, 0.0, 0.0]]).expand(3, 3)
    source = LogitStandardTemperature(base_temperature=2.0, eps=1e-3)
    temperature, kd_weight = source(
        make_instances(STATES),
        torch.zeros(3),
        teacher_logits=teacher,
        student_logits=student)
    assert kd_weight is None
    # Population stds: sqrt(2/3), sqrt(8), 0.
    expected = 2.0 * (torch.tensor([math.sqrt(2 / 3), math.sqrt(8), 0.0]) +
                      1e-3)
    assert torch.allclose(temperature, expected)


def test_ls_temperature_equals_zscore_softmax():
    torch.manual_seed(0)
    logits = torch.randn(4, 10) * 5 + 3
    source = LogitStandardTemperature(base_temperature=3.0, eps=1e-9)
    temperature, _ = source(
        make_instances(torch.zeros(4, 3)), torch.zeros(4),
        student_logits=logits)
    by_temperature = F.softmax(logits / temperature[:, None], dim=1)
    by_zscore = F.softmax(standardize_logits(logits, 1e-9) / 3.0, dim=1)
    assert torch.allclose(by_temperature, by_zscore, atol=1e-6)


def test_ls_temperature_without_logits():
    source = LogitStandardTemperature(base_temperature=2.5)
    temperature, _ = source(make_instances(STATES), torch.zeros(3))
    assert torch.equal(temperature, torch.full((3, ), 2.5))


def test_ls_temperature_rejects_wrong_rows():
    source = LogitStandardTemperature()
    with pytest.raises(ValueError, match=r'shape \(3, C\).*\(2, 4\)'):
        source(
            make_instances(STATES),
            torch.zeros(3),
            teacher_logits=torch.zeros(2, 4))


def test_standardize_constant_row_finite():
    out = standardize_logits(torch.tensor([[2.0, 2.0], [0.0, 2.0]]))
    assert torch.equal(out[0], torch.zeros(2))
    assert torch.allclose(out[1], torch.tensor([-1.0, 1.0]), atol=1e-6)


def test_ls_loss_matches_hand_computation():
    teacher = torch.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, 2.0]])
    student = torch.tensor([[0.5, 0.0, 0.0], [10.0, 0.0, 5.0]])
    tau = torch.tensor([2.0, 2.0])
    loss = LogitStandardKDLoss(class_reduction='sum', reduction='none')
    out = loss(student, teacher, tau)

    def zscore(x):
        return (x - x.mean(1, keepdim=True)) / x.std(
            1, unbiased=False, keepdim=True)

    target = F.softmax(zscore(teacher) / 2, dim=1)
    log_pred = F.log_softmax(zscore(student) / 2, dim=1)
    expected = 4 * (target * (target.log() - log_pred)).sum(1)
    assert torch.allclose(out, expected, atol=1e-6)
    # Scaling the student's logits changes plain KD but not LS-KD.
    assert torch.allclose(loss(student * 7, teacher, tau), out, atol=1e-5)


def test_ls_loss_rejects_sigmoid():
    with pytest.raises(ValueError, match="'sigmoid'"):
        LogitStandardKDLoss(mode='sigmoid')


def test_sources_build_from_config():
    ctkd = MODELS.build(dict(type='CTKDTemperature', mode='instance'))
    ls = MODELS.build(
        dict(type='LogitStandardTemperature', base_temperature=2.0))
    assert isinstance(ctkd, CTKDTemperature)
    assert isinstance(ls, LogitStandardTemperature)
    assert isinstance(
        MODELS.build(dict(type='LogitStandardKDLoss')), InstanceKDLoss)


@pytest.mark.parametrize('config, teacher_config', [
    ('configs/digits_cls/kd-ctkd_digits.py', None),
    ('configs/demo/ld_ctkd_student_digits.py',
     'configs/demo/gfl_teacher_digits.py'),
])
def test_ctkd_configs_exclude_temperature_from_decay(config, teacher_config):
    import rlkd_mmdet.cls  # noqa: F401
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    from ..conftest import ROOT
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.model.teacher_ckpt = None
    if teacher_config is not None:
        cfg.model.teacher_config = osp.join(ROOT, teacher_config)
    model = MODELS.build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    names = {id(p): name for name, p in model.named_parameters()}
    decay = {}
    for group in optim_wrapper.optimizer.param_groups:
        for param in group['params']:
            decay[names[id(param)]] = group['weight_decay']
    temperature = [name for name in decay if 'temperature_source' in name]
    assert temperature == ['temperature_source.logit']
    assert decay['temperature_source.logit'] == 0.0
    # The student keeps the config's weight decay.
    base = cfg.optim_wrapper.optimizer.weight_decay
    assert base > 0
    others = [name for name in decay if name not in temperature]
    assert len(others) > 10
    for name in others:
        assert decay[name] == base, name
