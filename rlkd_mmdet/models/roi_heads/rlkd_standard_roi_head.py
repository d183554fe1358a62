"""Standard RoI head that also returns the sampled RoIs for distillation."""
from typing import List, NamedTuple, Tuple

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import InstanceList
from torch import Tensor


class SampledRoIs(NamedTuple):
    """The RoIs that the box head was trained on in one step.

    Attributes:
        rois (Tensor): Sampled RoIs of the whole batch, shape (N, 5), as
            ``[batch_index, x1, y1, x2, y2]``; positives first within each
            image.
        labels (Tensor): Classification target of each RoI, shape (N,):
            the ground-truth class of a positive RoI, ``num_classes`` for a
            background RoI.
        label_weights (Tensor): Weight of each RoI in the classification
            loss, shape (N,).
        cls_score (Tensor): Student classification logits, shape
            (N, num_classes + 1), with gradients.
    """

    rois: Tensor
    labels: Tensor
    label_weights: Tensor
    cls_score: Tensor


@MODELS.register_module()
class RLKDStandardRoIHead(StandardRoIHead):
    """A :class:`StandardRoIHead` that exposes its sampled RoIs.

    Training is unchanged: the same assignment, sampling and losses as
    mmdet's ``StandardRoIHead``, and the same keys in its checkpoints, so a
    student trained with it loads into the plain mmdet config.
    :meth:`loss_and_rois` additionally returns the sampled RoIs, their
    targets and the student's classification logits, which
    :class:`RLKDTwoStageDetector` feeds to the teacher's RoI head.
    """

    def loss(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList) -> dict:
        """Compute the losses of the RoI head (as ``StandardRoIHead``)."""
        losses, _ = self.loss_and_rois(x, rpn_results_list,
                                       batch_data_samples)
        return losses

    def loss_and_rois(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
                      batch_data_samples: SampleList
                      ) -> Tuple[dict, SampledRoIs]:
        """Compute the losses and return the sampled RoIs of the batch.

        Args:
            x (tuple[Tensor]): Multi-level student features.
            rpn_results_list (list[InstanceData]): Proposals of each image.
            batch_data_samples (list[DetDataSample]): Ground truth and meta
                information of each image.

        Returns:
            tuple[dict, SampledRoIs]: The losses of the box (and mask) head
            and the RoIs the box head was trained on.
        """
        if len(rpn_results_list) != len(batch_data_samples):
            raise ValueError(
                f'got proposals for {len(rpn_results_list)} images but '
                f'{len(batch_data_samples)} data samples')
        batch_gt_instances, batch_gt_instances_ignore, _ = \
            unpack_gt_instances(batch_data_samples)
        sampling_results = self._sample(x, rpn_results_list,
                                        batch_gt_instances,
                                        batch_gt_instances_ignore)

        losses = dict()
        bbox_results = self.bbox_loss(x, sampling_results)
        losses.update(bbox_results['loss_bbox'])
        if self.with_mask:
            mask_results = self.mask_loss(x, sampling_results,
                                          bbox_results['bbox_feats'],
                                          batch_gt_instances)
            losses.update(mask_results['loss_mask'])

        labels, label_weights, _, _ = bbox_results['bbox_targets']
        sampled = SampledRoIs(
            rois=bbox_results['rois'],
            labels=labels,
            label_weights=label_weights,
            cls_score=bbox_results['cls_score'])
        return losses, sampled

    def _sample(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
                batch_gt_instances: InstanceList,
                batch_gt_instances_ignore: InstanceList
                ) -> List[SamplingResult]:
        """Assign the proposals of each image to ground truth and sample."""
        sampling_results = []
        for i, rpn_results in enumerate(rpn_results_list):
            # mmdet's assigners and samplers read the proposals as `priors`.
            rpn_results.priors = rpn_results.pop('bboxes')
            assign_result = self.bbox_assigner.assign(
                rpn_results, batch_gt_instances[i],
                batch_gt_instances_ignore[i])
            sampling_results.append(
                self.bbox_sampler.sample(
                    assign_result,
                    rpn_results,
                    batch_gt_instances[i],
                    feats=[level[i][None] for level in x]))
        return sampling_results

    def bbox_loss(self, x: Tuple[Tensor],
                  sampling_results: List[SamplingResult]) -> dict:
        """Run the box head on the sampled RoIs and compute its losses.

        Returns:
            dict: ``cls_score``, ``bbox_pred``, ``bbox_feats`` and
            ``loss_bbox`` as ``StandardRoIHead.bbox_loss``, plus ``rois``
            and ``bbox_targets`` (labels, label weights, box targets, box
            weights of every RoI, concatenated over the batch).
        """
        rois = bbox2roi([res.priors for res in sampling_results])
        bbox_results = self._bbox_forward(x, rois)
        loss_and_target = self.bbox_head.loss_and_target(
            cls_score=bbox_results['cls_score'],
            bbox_pred=bbox_results['bbox_pred'],
            rois=rois,
            sampling_results=sampling_results,
            rcnn_train_cfg=self.train_cfg)
        bbox_results.update(
            rois=rois,
            loss_bbox=loss_and_target['loss_bbox'],
            bbox_targets=loss_and_target['bbox_targets'])
        return bbox_results
