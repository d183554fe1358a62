"""Image classifier: backbone, optional neck and head."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModel
from torch import Tensor, nn

from .structures import ClsDataSample


@MODELS.register_module()
class ImageClassifier(BaseModel):
    """Image classifier made of a backbone, an optional neck and a head.

    ``forward`` follows mmengine's three modes: ``'tensor'`` returns the
    logits of shape (N, num_classes), ``'loss'`` returns ``dict(loss_cls=...)``
    and ``'predict'`` returns :class:`ClsDataSample` with ``pred_score`` and
    ``pred_label``. A knowledge-distillation algorithm reads the logits of a
    teacher and a student through :meth:`get_logits`.

    Args:
        backbone (dict): Config of the backbone, e.g.
            ``dict(type='CifarResNet', depth=20)``.
        head (dict): Config of the head, e.g. ``dict(type='LinearClsHead',
            num_classes=100, in_channels=64)``.
        neck (dict, optional): Config of the neck. Use mmdet's
            ``dict(type='GlobalAveragePooling')`` when the backbone returns
            feature maps, as all CIFAR backbones of this package do.
            Defaults to None.
        data_preprocessor (dict or nn.Module, optional): Config of the data
            preprocessor. Defaults to None, which builds a
            ``ClsDataPreprocessor`` without normalization.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 neck: OptConfigType = None,
                 data_preprocessor: Optional[Union[ConfigType,
                                                   nn.Module]] = None,
                 init_cfg: OptMultiConfig = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='ClsDataPreprocessor')
        # Build from mmdet's registry here, because BaseModel would look the
        # type up in mmengine's root registry, which does not see this
        # package's modules unless the default scope is mmdet.
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)

        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)

    @property
    def with_neck(self) -> bool:
        """bool: Whether the classifier has a neck."""
        return self.neck is not None

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[ClsDataSample]] = None,
                mode: str = 'tensor'
                ) -> Union[Tensor, Dict[str, Tensor], List[ClsDataSample]]:
        """Run the classifier in one of three modes.

        Args:
            inputs (Tensor): Normalized images of shape (N, C, H, W).
            data_samples (list[ClsDataSample], optional): Samples of the
                batch; required in ``'loss'`` mode. Defaults to None.
            mode (str): ``'tensor'``, ``'loss'`` or ``'predict'``.
                Defaults to ``'tensor'``.

        Returns:
            Tensor | dict[str, Tensor] | list[ClsDataSample]: Logits of
            shape (N, num_classes) in ``'tensor'`` mode, a dict of losses in
            ``'loss'`` mode, and samples with predictions in ``'predict'``
            mode.
        """
        if mode == 'tensor':
            return self.get_logits(inputs)
        if mode == 'loss':
            if data_samples is None:
                raise ValueError(
                    "mode='loss' needs data_samples with gt_label, "
                    'but got None')
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(
            f"mode must be 'tensor', 'loss' or 'predict', but got {mode!r}")

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Compute the features that the head takes.

        Args:
            inputs (Tensor): Normalized images of shape (N, C, H, W).

        Returns:
            tuple[Tensor]: Backbone outputs, passed through the neck when
            there is one.
        """
        feats = self.backbone(inputs)
        if self.with_neck:
            feats = self.neck(feats)
        return feats

    def get_logits(self, inputs: Tensor) -> Tensor:
        """Compute the class logits of a batch.

        Args:
            inputs (Tensor): Normalized images of shape (N, C, H, W).

        Returns:
            Tensor: Logits of shape (N, num_classes), before the softmax.
        """
        return self.head(self.extract_feat(inputs))

    def loss(self, inputs: Tensor,
             data_samples: Sequence[ClsDataSample]) -> Dict[str, Tensor]:
        """Compute the classification loss of a batch.

        Args:
            inputs (Tensor): Normalized images of shape (N, C, H, W).
            data_samples (Sequence[ClsDataSample]): Samples with
                ``gt_label``.

        Returns:
            dict[str, Tensor]: ``loss_cls``.
        """
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(
        self,
        inputs: Tensor,
        data_samples: Optional[Sequence[ClsDataSample]] = None
    ) -> List[ClsDataSample]:
        """Predict class probabilities and labels of a batch.

        Args:
            inputs (Tensor): Normalized images of shape (N, C, H, W).
            data_samples (Sequence[ClsDataSample], optional): Samples to
                write the predictions into. Defaults to None.

        Returns:
            list[ClsDataSample]: Samples with ``pred_score`` and
            ``pred_label``.
        """
        return self.head.predict(self.extract_feat(inputs), data_samples)
