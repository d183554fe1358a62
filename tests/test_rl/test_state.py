import torch

from rlkd_mmdet.rl import (build_instance_states, normalized_entropy,
                           top2_margin)


def test_top2_margin_uses_second_largest():
    probs = torch.tensor([[0.1, 0.6, 0.05, 0.25], [0.5, 0.5, 0.0, 0.0]])
    margin = top2_margin(probs)
    # Second largest of row 0 is 0.25 (the second smallest would be 0.1).
    assert torch.allclose(margin, torch.tensor([0.35, 0.0]))


def test_top2_margin_single_class():
    assert torch.allclose(top2_margin(torch.tensor([[0.7]])),
                          torch.tensor([0.7]))


def test_instance_states_values():
    teacher = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    student = torch.tensor([[0.3, 0.5, 0.2], [0.2, 0.2, 0.6]])
    labels = torch.tensor([0, 2])
    out = build_instance_states(teacher, student, labels)
    expected = torch.tensor([[0.7, 0.3, 0.2], [0.8, 0.6, 0.4]])
    assert torch.allclose(out.states, expected)
    assert out.student_correct.tolist() == [0.0, 1.0]
    assert torch.allclose(out.student_gt_prob, torch.tensor([0.3, 0.6]))


def test_normalized_entropy_bounds():
    uniform = torch.full((1, 4), 0.25)
    one_hot = torch.tensor([[1.0, 0.0, 0.0, 0.0]])
    assert torch.allclose(normalized_entropy(uniform), torch.ones(1))
    assert torch.allclose(normalized_entropy(one_hot), torch.zeros(1),
                          atol=1e-6)
