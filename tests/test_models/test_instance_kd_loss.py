import pytest
import torch
from mmdet.models.losses import KnowledgeDistillationKLDivLoss

from rlkd_mmdet.models.losses import InstanceKDLoss


def test_equal_temperatures_match_mmdet_kd_loss():
    torch.manual_seed(0)
    pred, target = torch.randn(20, 17), torch.randn(20, 17)
    weight = torch.rand(20)
    reference = KnowledgeDistillationKLDivLoss(loss_weight=0.25, T=10)
    ours = InstanceKDLoss(loss_weight=0.25)
    temperature = torch.full((20, ), 10.0)
    for kwargs in (dict(), dict(weight=weight), dict(weight=weight,
                                                     avg_factor=4.0)):
        expected = reference(pred, target, **kwargs)
        actual = ours(pred, target, temperature, **kwargs)
        assert torch.allclose(actual, expected, atol=1e-6), kwargs


def test_each_row_uses_its_own_temperature():
    torch.manual_seed(0)
    pred, target = torch.randn(3, 5), torch.randn(3, 5)
    temperature = torch.tensor([1.0, 4.0, 9.0])
    loss = InstanceKDLoss(class_reduction='sum', reduction='none')
    rows = loss(pred, target, temperature)
    for i, t in enumerate(temperature):
        p = torch.softmax(target[i] / t, 0)
        log_q = torch.log_softmax(pred[i] / t, 0)
        by_hand = t * t * (p * (p.log() - log_q)).sum()
        assert torch.isclose(rows[i], by_hand, atol=1e-6)


def test_sigmoid_mode_is_binary_kl():
    torch.manual_seed(0)
    pred, target = torch.randn(4, 3), torch.randn(4, 3)
    temperature = torch.tensor([1.0, 2.0, 3.0, 5.0])
    rows = InstanceKDLoss(mode='sigmoid', reduction='none')(pred, target,
                                                            temperature)
    t = temperature[:, None]
    p, q = torch.sigmoid(target / t), torch.sigmoid(pred / t)
    kl = p * (p / q).log() + (1 - p) * ((1 - p) / (1 - q)).log()
    assert torch.allclose(rows, kl.mean(1) * temperature**2, atol=1e-6)


def test_identical_logits_give_zero_loss():
    logits = torch.randn(6, 9)
    loss = InstanceKDLoss()(logits, logits.clone(), torch.rand(6) * 9 + 1)
    assert loss.abs() < 1e-5


def test_temperature_shape_is_checked():
    with pytest.raises(ValueError, match='one value per instance'):
        InstanceKDLoss()(torch.randn(4, 3), torch.randn(4, 3),
                         torch.ones(3))


def test_half_precision_inputs_computed_in_float32():
    pred = torch.randn(5, 8).half()
    target = torch.randn(5, 8).half()
    loss = InstanceKDLoss()(pred, target, torch.full((5, ), 2.0))
    assert loss.dtype == torch.float32
