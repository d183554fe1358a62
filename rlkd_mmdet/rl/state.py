"""Per-instance state of the temperature agent.

The state of a KD instance is ``[p_teacher, p_student, u_student]``: the
teacher's and the student's probability of the ground-truth class, and the
student's uncertainty, taken as the margin between its largest and its second
largest class probability. Everything here works on whole batches of
instances.
"""
from typing import NamedTuple

import torch
from torch import Tensor

STATE_DIM = 3


def top2_margin(probs: Tensor) -> Tensor:
    """Compute the margin between the largest and second largest entry.

    Args:
        probs (Tensor): Class probabilities of shape (N, C).

    Returns:
        Tensor: Margins of shape (N,). With a single class the margin is the
        probability itself, because the missing runner-up counts as 0.
    """
    if probs.dim() != 2:
        raise ValueError(
            f'probs must have shape (N, C), got {tuple(probs.shape)}')
    if probs.size(1) == 1:
        return probs[:, 0]
    top2 = probs.topk(2, dim=1).values
    return top2[:, 0] - top2[:, 1]


def normalized_entropy(probs: Tensor, eps: float = 1e-12) -> Tensor:
    """Compute the entropy of each row, divided by ``log(C)``.

    Rows that do not sum to one (sigmoid scores of a dense detector) are
    normalised first, so the entropy describes how the score mass is spread
    over the classes.

    Args:
        probs (Tensor): Non-negative scores of shape (N, C).
        eps (float): Floor against ``log(0)``. Defaults to 1e-12.

    Returns:
        Tensor: Entropies in [0, 1] of shape (N,).
    """
    num_classes = probs.size(1)
    if num_classes < 2:
        return probs.new_zeros(probs.size(0))
    dist = probs / probs.sum(dim=1, keepdim=True).clamp_min(eps)
    entropy = -(dist * dist.clamp_min(eps).log()).sum(dim=1)
    return entropy / torch.log(probs.new_tensor(float(num_classes)))


class InstanceStates(NamedTuple):
    """States and training signals of one batch of KD instances.

    Attributes:
        states (Tensor): Agent states of shape (N, 3).
        student_correct (Tensor): 1.0 where the student's top class is the
            ground truth, shape (N,).
        entropy (Tensor): Normalised entropy of the student, shape (N,).
    """

    states: Tensor
    student_correct: Tensor
    entropy: Tensor

    @property
    def student_gt_prob(self) -> Tensor:
        """Student probability of the ground-truth class, shape (N,)."""
        return self.states[:, 1]

    def __len__(self) -> int:
        return self.states.size(0)


def build_instance_states(teacher_probs: Tensor, student_probs: Tensor,
                          labels: Tensor) -> InstanceStates:
    """Build the agent states of a batch of instances.

    Args:
        teacher_probs (Tensor): Teacher class probabilities (softmax for
            classifiers, sigmoid scores for dense detectors), shape (N, C).
        student_probs (Tensor): Student class probabilities, shape (N, C).
        labels (Tensor): Ground-truth class index of each instance, shape
            (N,), values in ``[0, C)``.

    Returns:
        InstanceStates: Detached float32 states and signals.
    """
    if teacher_probs.shape != student_probs.shape:
        raise ValueError(
            f'teacher probabilities have shape {tuple(teacher_probs.shape)} '
            f'but student probabilities have {tuple(student_probs.shape)}; '
            'teacher and student must predict the same classes')
    if labels.shape != teacher_probs.shape[:1]:
        raise ValueError(f'labels must have shape ({teacher_probs.size(0)},),'
                         f' got {tuple(labels.shape)}')

    teacher_probs = teacher_probs.detach().float()
    student_probs = student_probs.detach().float()
    labels = labels.long()[:, None]

    p_teacher = teacher_probs.gather(1, labels)[:, 0]
    p_student = student_probs.gather(1, labels)[:, 0]
    u_student = top2_margin(student_probs)
    states = torch.stack([p_teacher, p_student, u_student], dim=1)

    correct = (student_probs.argmax(dim=1) == labels[:, 0]).float()
    return InstanceStates(states, correct, normalized_entropy(student_probs))
