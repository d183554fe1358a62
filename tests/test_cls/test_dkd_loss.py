"""InstanceDKDLoss against the DKD formula, and on hard numerical cases."""
import math

import pytest
import torch

from rlkd_mmdet.cls import InstanceDKDLoss, instance_dkd_loss


def reference_dkd(student, teacher, labels, temperature, alpha, beta):
    """DKD written out from its definition, in float64, one row at a time.

    TCKD is the KL divergence between the binary distributions [p_gt,
    1 - p_gt]. NCKD is the KL divergence between the distributions over the
    non-target classes, renormalised. The loss of a row is T^2 * (alpha *
    TCKD + beta * NCKD); the batch loss is their mean.
    """
    losses = []
    for s_row, t_row, label in zip(student.double(), teacher.double(),
                                   labels.tolist()):
        p_s = torch.softmax(s_row / temperature, dim=0)
        p_t = torch.softmax(t_row / temperature, dim=0)
        b_s = torch.stack([p_s[label], 1 - p_s[label]])
        b_t = torch.stack([p_t[label], 1 - p_t[label]])
        tckd = (b_t * (b_t.log() - b_s.log())).sum()

        keep = [c for c in range(s_row.numel()) if c != label]
        q_s = p_s[keep] / p_s[keep].sum()
        q_t = p_t[keep] / p_t[keep].sum()
        nckd = (q_t * (q_t.log() - q_s.log())).sum()
        losses.append(temperature**2 * (alpha * tckd + beta * nckd))
    return torch.stack(losses).mean()


STUDENT = torch.tensor([[2.0, -1.0, 0.5, 0.0, 1.5],
                        [-0.5, 3.0, 0.2, -2.0, 0.1],
                        [0.3, 0.3, -1.2, 2.2, -0.7]])
TEACHER = torch.tensor([[3.5, -2.0, 1.0, -1.0, 0.5],
                        [0.5, 4.0, -1.0, -1.5, 1.0],
                        [-1.0, 1.0, -2.0, 5.0, 0.0]])
LABELS = torch.tensor([0, 1, 3])


@pytest.mark.parametrize('temperature', [1.0, 4.0])
@pytest.mark.parametrize('alpha,beta', [(1.0, 8.0), (1.0, 2.0), (0.5, 0.0)])
def test_equal_temperatures_match_formula(temperature, alpha, beta):
    loss = InstanceDKDLoss(alpha=alpha, beta=beta, warmup_epochs=0)(
        STUDENT, TEACHER, LABELS, torch.full((3, ), temperature))
    expected = reference_dkd(STUDENT, TEACHER, LABELS, temperature, alpha,
                             beta)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert expected.item() > 0


def test_per_instance_temperatures_apply_per_row():
    temperature = torch.tensor([1.0, 4.0, 8.0])
    rows = instance_dkd_loss(
        STUDENT, TEACHER, labels=LABELS, temperature=temperature,
        reduction='none', alpha=1.0, beta=8.0)
    assert rows.shape == (3, )
    for i, t in enumerate(temperature.tolist()):
        expected = reference_dkd(STUDENT[i:i + 1], TEACHER[i:i + 1],
                                 LABELS[i:i + 1], t, 1.0, 8.0)
        assert rows[i].item() == pytest.approx(expected.item(), rel=1e-5)


def test_identical_logits_give_zero_loss():
    loss = InstanceDKDLoss(warmup_epochs=0)(TEACHER, TEACHER, LABELS,
                                             torch.full((3, ), 4.0))
    assert loss.abs().item() < 1e-6


def test_two_classes_finite_and_nckd_zero():
    student = torch.tensor([[0.3, -0.2], [2.0, 1.0]], requires_grad=True)
    teacher = torch.tensor([[1.0, 0.0], [-1.0, 3.0]])
    labels = torch.tensor([0, 1])
    temperature = torch.tensor([2.0, 4.0])
    tckd_only = InstanceDKDLoss(alpha=1.0, beta=0.0, warmup_epochs=0)(
        student, teacher, labels, temperature)
    with_nckd = InstanceDKDLoss(alpha=1.0, beta=8.0, warmup_epochs=0)(
        student, teacher, labels, temperature)
    # One non-target class leaves nothing to distribute: NCKD is 0.
    assert torch.isfinite(with_nckd)
    assert with_nckd.item() == pytest.approx(tckd_only.item(), abs=1e-7)
    with_nckd.backward()
    assert torch.isfinite(student.grad).all()
    assert student.grad.abs().sum() > 0


def test_one_hot_teacher_finite_with_gradients():
    teacher = torch.tensor([[50.0, -50.0, -50.0, -50.0],
                            [-50.0, -50.0, 50.0, -50.0],
                            [-50.0, 50.0, -50.0, -50.0]])
    student = torch.tensor([[0.1, 0.2, -0.3, 0.0],
                            [5.0, -3.0, 1.0, 0.0],
                            [0.0, 0.0, 0.0, 0.0]], requires_grad=True)
    # The student is wrong on the third row, where the teacher is right.
    labels = torch.tensor([0, 2, 1])
    temperature = torch.tensor([1.0, 0.5, 10.0])
    loss = InstanceDKDLoss(warmup_epochs=0)(student, teacher, labels,
                                             temperature)
    assert torch.isfinite(loss)
    assert loss.item() > 0
    loss.backward()
    assert torch.isfinite(student.grad).all()
    # TCKD pushes the ground-truth logit of every row up.
    assert (student.grad[torch.arange(3), labels] < 0).all()


def test_student_saturated_on_gt_stays_finite():
    # p_gt of the student rounds to 1 in float32, but 1 - p_gt must not
    # become 0.
    student = torch.tensor([[100.0, 0.0, 0.0]], requires_grad=True)
    teacher = torch.tensor([[2.0, 1.0, 0.0]])
    loss = InstanceDKDLoss(warmup_epochs=0)(student, teacher,
                                             torch.tensor([0]),
                                             torch.ones(1))
    # Closed form: the student's log(1 - p_gt) is log(2) - 100, and its
    # non-target distribution is uniform.
    p_t = math.exp(2) / (math.exp(2) + math.exp(1) + 1)
    tckd = p_t * math.log(p_t) + (1 - p_t) * (
        math.log(1 - p_t) - (math.log(2) - 100))
    q_t = math.exp(1) / (math.exp(1) + 1)
    nckd = q_t * math.log(2 * q_t) + (1 - q_t) * math.log(2 * (1 - q_t))
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(tckd + 8 * nckd, rel=1e-4)
    loss.backward()
    assert torch.isfinite(student.grad).all()


def test_instance_weight_scales_rows():
    temperature = torch.full((3, ), 4.0)
    module = InstanceDKDLoss(warmup_epochs=0, reduction='none')
    rows = module(STUDENT, TEACHER, LABELS, temperature)
    weighted = module(STUDENT, TEACHER, LABELS, temperature,
                      weight=torch.tensor([0.0, 1.0, 2.0]))
    assert weighted[0].item() == 0.0
    assert weighted[1].item() == pytest.approx(rows[1].item())
    assert weighted[2].item() == pytest.approx(2 * rows[2].item())


@pytest.mark.parametrize('epoch,factor', [(None, 1.0), (0, 0.05), (9, 0.5),
                                          (19, 1.0), (100, 1.0)])
def test_warmup_factor(epoch, factor):
    module = InstanceDKDLoss(warmup_epochs=20)
    plain = InstanceDKDLoss(warmup_epochs=0)
    temperature = torch.full((3, ), 4.0)
    loss = module(STUDENT, TEACHER, LABELS, temperature, epoch=epoch)
    full = plain(STUDENT, TEACHER, LABELS, temperature)
    assert loss.item() == pytest.approx(factor * full.item(), rel=1e-6)


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match='warmup_epochs'):
        InstanceDKDLoss(warmup_epochs=-1)
    with pytest.raises(ValueError, match='C >= 2'):
        instance_dkd_loss(
            torch.zeros(2, 1), torch.zeros(2, 1),
            labels=torch.zeros(2, dtype=torch.long),
            temperature=torch.ones(2))
    with pytest.raises(ValueError, match='temperature must have shape'):
        InstanceDKDLoss()(STUDENT, TEACHER, LABELS, torch.ones(2))
