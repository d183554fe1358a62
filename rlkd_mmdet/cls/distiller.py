"""Logit distillation of an image classifier with per-image temperatures."""
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from rlkd_mmdet.models.detectors.teacher import build_frozen_teacher
from rlkd_mmdet.models.losses import InstanceKDLoss
from rlkd_mmdet.models.temperature import BaseTemperatureSource
from rlkd_mmdet.rl import InstanceStates, build_instance_states
from .dkd_loss import InstanceDKDLoss
from .structures import ClsDataSample

KD_LOSS_NAMES = ('kd', 'dkd')


def _sample_ids(data_samples: Sequence[ClsDataSample]) -> Optional[Tensor]:
    """Return the ``sample_idx`` of every sample, or None if one lacks it."""
    ids = [sample.metainfo.get('sample_idx') for sample in data_samples]
    if any(i is None for i in ids):
        return None
    return torch.tensor([int(i) for i in ids], dtype=torch.long)


@contextmanager
def _frozen_bn_statistics(module: nn.Module) -> Iterator[None]:
    """Restore the running statistics of every BatchNorm layer on exit.

    A training-mode forward pass normalises with batch statistics and also
    moves the running statistics. Inside this context the first still
    happens, and the second is undone on exit.
    """
    saved = []
    for layer in module.modules():
        if isinstance(layer, _BatchNorm) and layer.track_running_stats:
            saved.append((layer, layer.running_mean.clone(),
                          layer.running_var.clone(),
                          layer.num_batches_tracked.clone()))
    try:
        yield
    finally:
        for layer, mean, var, count in saved:
            layer.running_mean.copy_(mean)
            layer.running_var.copy_(var)
            layer.num_batches_tracked.copy_(count)


@MODELS.register_module()
class RLKDClassifierDistiller(BaseModel):
    """Distil an image classifier with per-image KD temperatures.

    The student is an :class:`ImageClassifier`. The teacher, built from
    ``teacher_config`` and ``teacher_ckpt``, is a registered, frozen
    submodule whose BatchNorm layers always stay in eval mode. Both see the
    images preprocessed by this model's data preprocessor. The training loss
    is::

        loss_ce = ce_weight * CE(student_logits, targets)
        loss_kd = kd_weight * mean_i KD_i(T_i)     # or loss_dkd with DKD

    where ``T_i`` (and, if the source learns them, a weight of each image's
    KD term) comes from ``temperature_source`` for every image of the batch.
    With ``kd_loss='kd'`` the KD term is Hinton's ``T_i^2 * KL(teacher ||
    student)`` summed over the classes. With ``'dkd'`` it is DKD
    (:class:`InstanceDKDLoss`). The student head's own loss config is not
    used: the cross-entropy is always ``F.cross_entropy`` with class
    probabilities as targets, so mixed (soft) labels work.

    Efficient exploration: while the RLKD hook sets
    :attr:`exploration_active` and the agent tracks uncertainty, every image
    of the batch in the agent's easy band is blended with one of its hard
    band, ``x_easy = lam * x_easy + (1 - lam) * x_hard``, and its target
    becomes ``lam * y_easy + (1 - lam) * y_hard``. Teacher and student both
    see the blended images.

    ``'predict'`` and ``'tensor'`` modes run the student alone.

    Args:
        student (dict): Config of the student :class:`ImageClassifier`.
        teacher_config (str | Path | dict): Teacher config: a file path, an
            ``mmdet::`` name or a config dict of an :class:`ImageClassifier`
            (or a full config with a ``model`` entry).
        teacher_ckpt (str, optional): Teacher checkpoint. Defaults to None,
            which keeps the teacher's initial weights, useful in tests only.
        temperature_source (dict): Config of the source of the per-image
            temperatures. Defaults to ``dict(type='FixedTemperature',
            temperature=4.0)``.
        ce_weight (float): Weight of the cross-entropy loss. Defaults to 0.1.
        kd_weight (float): Weight of the KD (or DKD) loss. Defaults to 0.9.
        kd_loss (str | dict): ``'kd'``, ``'dkd'`` (DKD with its default
            ``alpha``, ``beta`` and warm-up), or the config of an
            :class:`InstanceKDLoss` or :class:`InstanceDKDLoss`. Defaults to
            ``'kd'``.
        exploration_mix (bool): Let the RLKD agent mix hard images into easy
            ones while its exploration is active. Defaults to True.
        data_preprocessor (dict, optional): Data preprocessor config.
            Defaults to None, which shares the student's preprocessor.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 student: ConfigType,
                 teacher_config: Union[ConfigType, str, Path],
                 teacher_ckpt: Optional[str] = None,
                 temperature_source: ConfigType = dict(
                     type='FixedTemperature', temperature=4.0),
                 ce_weight: float = 0.1,
                 kd_weight: float = 0.9,
                 kd_loss: Union[str, ConfigType] = 'kd',
                 exploration_mix: bool = True,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        if ce_weight < 0 or kd_weight < 0:
            raise ValueError('ce_weight and kd_weight must be non-negative, '
                             f'got ce_weight={ce_weight}, '
                             f'kd_weight={kd_weight}')
        student_model = MODELS.build(student)
        if data_preprocessor is None:
            data_preprocessor = student_model.data_preprocessor
        elif isinstance(data_preprocessor, dict):
            # mmengine's BaseModel would look the type up in its root
            # registry, which does not hold ClsDataPreprocessor.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)

        self.student = student_model
        self.teacher = build_frozen_teacher(teacher_config, teacher_ckpt)
        self._check_teacher()

        self.temperature_source: BaseTemperatureSource = MODELS.build(
            temperature_source)
        self.ce_weight = float(ce_weight)
        self.kd_weight = float(kd_weight)
        self.kd_loss = self._build_kd_loss(kd_loss)
        self.kd_loss_key = ('loss_dkd' if isinstance(
            self.kd_loss, InstanceDKDLoss) else 'loss_kd')
        self.exploration_mix = exploration_mix
        self.exploration_active = False
        self._last_mix: Optional[Tuple[Tensor, Tensor, Tensor,
                                       Tensor]] = None
        # Set by RLKDHook when rewards re-evaluate the same batch.
        self.keep_last_batch = False
        self._last_batch: Optional[Tuple[Tensor, Tensor]] = None

    # ------------------------------------------------------------------
    # Construction
    # ------------------------------------------------------------------
    def _check_teacher(self) -> None:
        if not hasattr(self.teacher, 'get_logits'):
            raise TypeError(
                'the teacher must be an ImageClassifier with get_logits(), '
                f'got {type(self.teacher).__name__}. Point teacher_config '
                "at a config whose model type is 'ImageClassifier'")
        teacher_classes = self.teacher.head.num_classes
        student_classes = self.student.head.num_classes
        if teacher_classes != student_classes:
            raise ValueError(
                f'teacher has {teacher_classes} classes, student has '
                f'{student_classes}: set the same head.num_classes in '
                'teacher_config and in the student config')

        own = self.data_preprocessor
        other = getattr(self.teacher, 'data_preprocessor', None)
        if getattr(own, '_enable_normalize', False) and getattr(
                other, '_enable_normalize', False):
            if not (torch.allclose(own.mean, other.mean)
                    and torch.allclose(own.std, other.std)):
                print_log(
                    'the teacher config normalises images with mean '
                    f'{other.mean.flatten().tolist()} and std '
                    f'{other.std.flatten().tolist()}, but the distiller '
                    f'uses {own.mean.flatten().tolist()} and '
                    f'{own.std.flatten().tolist()}. The teacher sees the '
                    "distiller's normalisation",
                    logger='current',
                    level='WARNING')

    @staticmethod
    def _build_kd_loss(kd_loss: Union[str, ConfigType]) -> nn.Module:
        if isinstance(kd_loss, str):
            if kd_loss not in KD_LOSS_NAMES:
                raise ValueError(
                    f'kd_loss {kd_loss!r} is not one of {KD_LOSS_NAMES}. '
                    'Pass one of them or a loss config dict')
            if kd_loss == 'kd':
                return InstanceKDLoss(
                    mode='softmax', class_reduction='sum', reduction='mean')
            return InstanceDKDLoss()
        loss = MODELS.build(kd_loss)
        if isinstance(loss, InstanceKDLoss) and loss.mode != 'softmax':
            raise ValueError(
                "a classifier's KD loss must use mode='softmax', got "
                f'{loss.mode!r}')
        if not isinstance(loss, (InstanceKDLoss, InstanceDKDLoss)):
            raise TypeError(
                'kd_loss must build an InstanceKDLoss or InstanceDKDLoss, '
                f'got {type(loss).__name__}')
        return loss

    def train(self, mode: bool = True) -> 'RLKDClassifierDistiller':
        """Set the student's mode, but keep the teacher in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    # ------------------------------------------------------------------
    # Forward
    # ------------------------------------------------------------------
    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[ClsDataSample]] = None,
                mode: str = 'tensor'
                ) -> Union[Tensor, Dict[str, Tensor], List[ClsDataSample]]:
        """Run the distiller in ``'loss'``, ``'predict'`` or ``'tensor'`` mode.

        Args:
            inputs (Tensor): Preprocessed images of shape (N, C, H, W).
            data_samples (list[ClsDataSample], optional): Samples of the
                batch. ``'loss'`` mode needs their ``gt_label``.
            mode (str): ``'tensor'``, ``'loss'`` or ``'predict'``.
                Defaults to ``'tensor'``.

        Returns:
            Tensor | dict[str, Tensor] | list[ClsDataSample]: Student logits,
            the losses, or samples with the student's predictions.
        """
        if mode == 'loss':
            if data_samples is None:
                raise ValueError(
                    "mode='loss' needs data_samples with gt_label, got None")
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.student.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.student.get_logits(inputs)
        raise ValueError(
            f"mode must be 'tensor', 'loss' or 'predict', got {mode!r}")

    def _targets(self, data_samples: Sequence[ClsDataSample],
                 device: torch.device) -> Tensor:
        """Stack the labels as class probabilities of shape (N, C)."""
        targets = self.student.head.stack_targets(data_samples, device)
        if targets.dim() == 1:
            targets = F.one_hot(targets, self.student.head.num_classes)
        return targets.float()

    def loss(self, inputs: Tensor,
             data_samples: Sequence[ClsDataSample]) -> Dict[str, Tensor]:
        """Compute the cross-entropy and the KD (or DKD) loss of a batch.

        Args:
            inputs (Tensor): Preprocessed images of shape (N, C, H, W).
            data_samples (Sequence[ClsDataSample]): Samples with
                ``gt_label`` and, for the RLKD agent, ``sample_idx``.

        Returns:
            dict[str, Tensor]: ``loss_ce`` and ``loss_kd`` (``loss_dkd``
            with DKD).
        """
        targets = self._targets(data_samples, inputs.device)
        image_ids = _sample_ids(data_samples)
        self._last_mix = None
        if self.exploration_active and self.exploration_mix \
                and image_ids is not None:
            inputs, targets = self._mix_uncertain_images(
                inputs, targets, image_ids)
        if self.keep_last_batch:
            self._last_batch = (inputs.detach(), targets)

        with torch.no_grad():
            teacher_logits = self.teacher.get_logits(inputs)
        student_logits = self.student.get_logits(inputs)
        labels = targets.argmax(dim=1)
        instances = build_instance_states(
            teacher_logits.softmax(dim=1), student_logits.softmax(dim=1),
            labels)

        batch_size = inputs.size(0)
        temperature, instance_weight = self.temperature_source(
            instances,
            image_index=torch.arange(batch_size, device=inputs.device),
            image_ids=image_ids)

        loss_ce = F.cross_entropy(student_logits.float(), targets)
        if isinstance(self.kd_loss, InstanceDKDLoss):
            epoch = MessageHub.get_current_instance().get_info('epoch')
            loss_kd = self.kd_loss(
                student_logits,
                teacher_logits,
                labels,
                temperature,
                weight=instance_weight,
                epoch=epoch)
        else:
            loss_kd = self.kd_loss(
                student_logits,
                teacher_logits,
                temperature,
                weight=instance_weight)
        return {
            'loss_ce': self.ce_weight * loss_ce,
            self.kd_loss_key: self.kd_weight * loss_kd,
        }

    # ------------------------------------------------------------------
    # RLKD support
    # ------------------------------------------------------------------
    def _mix_uncertain_images(self, inputs: Tensor, targets: Tensor,
                              image_ids: Tensor) -> Tuple[Tensor, Tensor]:
        """Blend hard-band images and labels into easy-band ones.

        NOTE: the agent then tracks the uncertainty of a blended image
        under the easy image's id, as the detection distiller does.
        """
        agent = getattr(self.temperature_source, 'agent', None)
        if agent is None or agent.tracker is None:
            return inputs, targets
        easy, hard, lam = agent.mixing_pairs(image_ids)
        if easy.numel() == 0:
            return inputs, targets
        self._last_mix = (image_ids.clone(), easy, hard, lam)
        return self._apply_mix(inputs, targets, easy, hard, lam)

    @staticmethod
    def _apply_mix(inputs: Tensor, targets: Tensor, easy: Tensor,
                   hard: Tensor, lam: Tensor) -> Tuple[Tensor, Tensor]:
        easy = easy.to(inputs.device)
        hard = hard.to(inputs.device)
        lam = lam.to(inputs)
        mixed_inputs = inputs.clone()
        mixed_inputs[easy] = (lam[:, None, None, None] * inputs[easy] +
                              (1 - lam[:, None, None, None]) * inputs[hard])
        mixed_targets = targets.clone()
        mixed_targets[easy] = (lam[:, None] * targets[easy] +
                               (1 - lam[:, None]) * targets[hard])
        return mixed_inputs, mixed_targets

    @torch.no_grad()
    def evaluate_instances(self,
                           data_batch: Optional[dict] = None
                           ) -> InstanceStates:
        """Re-evaluate a training batch without changing the model.

        For the agent's ``reward_mode='same_batch'``: after the optimizer
        step, teacher and student see the images of the last training step
        again, blended as they were, and the states of those images are
        returned. Without ``data_batch``, the batch that :meth:`loss` kept
        while :attr:`keep_last_batch` is set (``RLKDHook`` sets it) is used,
        and then dropped. With ``data_batch``, the dataloader's batch is
        preprocessed again, and the images that the last step blended are
        blended again when the image ids match.

        The student runs in its current mode, so during training it
        normalises with batch statistics, as the forward pass did whose
        states the reward is compared with. Its BatchNorm running
        statistics are restored afterwards.

        Args:
            data_batch (dict, optional): A batch from the dataloader, with
                ``inputs`` and ``data_samples``. Defaults to None, the kept
                batch.

        Returns:
            InstanceStates: States of the batch's images, one per image.
        """
        if data_batch is None:
            if self._last_batch is None:
                raise RuntimeError(
                    'no training batch is kept for re-evaluation. Set '
                    'keep_last_batch=True before the training step (RLKDHook '
                    "does so for reward_mode='same_batch') or pass data_batch")
            inputs, targets = self._last_batch
            self._last_batch = None
        else:
            inputs, targets = self._preprocess_again(data_batch)

        teacher_logits = self.teacher.get_logits(inputs)
        with _frozen_bn_statistics(self.student):
            student_logits = self.student.get_logits(inputs)
        return build_instance_states(teacher_logits.softmax(dim=1),
                                     student_logits.softmax(dim=1),
                                     targets.argmax(dim=1))

    def _preprocess_again(self, data_batch: dict) -> Tuple[Tensor, Tensor]:
        """Preprocess a dataloader batch and repeat the last step's mix."""
        data = self.data_preprocessor(data_batch, False)
        inputs, data_samples = data['inputs'], data['data_samples']
        targets = self._targets(data_samples, inputs.device)

        image_ids = _sample_ids(data_samples)
        if self._last_mix is not None and image_ids is not None:
            mixed_ids, easy, hard, lam = self._last_mix
            if torch.equal(mixed_ids, image_ids):
                inputs, targets = self._apply_mix(inputs, targets, easy,
                                                  hard, lam)
        return inputs, targets
