"""Top-k accuracy of image classification."""
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.structures import BaseDataElement
from torch import Tensor


@METRICS.register_module()
class ClsAccuracy(BaseMetric):
    """Top-k classification accuracy, in percent.

    A sample counts as correct at k when its ground-truth class is among the
    k classes with the highest ``pred_score``. A soft ``gt_label`` (class
    probabilities) counts as its most probable class. Ties in the scores are
    broken by ``torch.topk``.

    The results are named ``accuracy/top{k}``, e.g. ``accuracy/top1``.

    Args:
        topk (int | Sequence[int]): The k values. Defaults to (1, 5).
        collect_device (str): Device used to gather results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            None, which uses ``'accuracy'``.
    """

    default_prefix = 'accuracy'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, 5),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(topk, int):
            topk = (topk, )
        topk = tuple(topk)
        if len(topk) == 0 or any(
                not isinstance(k, int) or k < 1 for k in topk):
            raise ValueError(
                f'topk must be positive ints, e.g. (1, 5), but got {topk}')
        self.topk = topk

    def process(self, data_batch: Any,
                data_samples: Sequence[Union[dict, BaseDataElement]]) -> None:
        """Store the score and ground-truth class of each sample.

        Args:
            data_batch (Any): The batch from the dataloader; unused.
            data_samples (Sequence[dict | BaseDataElement]): Outputs of the
                model in ``'predict'`` mode, with ``pred_score`` and
                ``gt_label``. mmengine's evaluator passes them as dicts.
        """
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            if 'pred_score' not in sample:
                raise KeyError(
                    'ClsAccuracy needs pred_score in every data sample; '
                    'run the model in predict mode')
            if 'gt_label' not in sample:
                raise KeyError(
                    'ClsAccuracy needs gt_label in every data sample; the '
                    'evaluation dataset must provide labels')
            gt_label = sample['gt_label']
            if gt_label.is_floating_point():
                gt_class = int(gt_label.argmax())
            else:
                gt_class = int(gt_label.reshape(-1)[0])
            self.results.append(
                dict(
                    pred_score=sample['pred_score'].detach().cpu(),
                    gt_class=gt_class))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute the top-k accuracies of all stored samples.

        Args:
            results (list[dict]): Results stored by :meth:`process`, from
                all ranks.

        Returns:
            dict[str, float]: ``top{k}`` for each k, in percent.
        """
        scores = torch.stack([result['pred_score'] for result in results])
        gt_classes = torch.tensor([result['gt_class'] for result in results])
        return self.topk_accuracy(scores, gt_classes, self.topk)

    @staticmethod
    def topk_accuracy(scores: Tensor, gt_classes: Tensor,
                      topk: Sequence[int]) -> Dict[str, float]:
        """Compute top-k accuracies from a score matrix.

        Args:
            scores (Tensor): Scores of shape (N, num_classes).
            gt_classes (Tensor): Ground-truth class indices of shape (N,).
            topk (Sequence[int]): The k values, each at most num_classes.

        Returns:
            dict[str, float]: ``top{k}`` for each k, in percent.
        """
        num_classes = scores.size(1)
        max_k = max(topk)
        if max_k > num_classes:
            raise ValueError(
                f'topk contains {max_k}, but the scores have only '
                f'{num_classes} classes; choose k <= {num_classes}')

        _, top_classes = scores.topk(max_k, dim=1)
        hits = top_classes == gt_classes.unsqueeze(1)
        metrics = {}
        for k in topk:
            correct = hits[:, :k].any(dim=1).float()
            metrics[f'top{k}'] = float(correct.mean()) * 100.0
        return metrics
