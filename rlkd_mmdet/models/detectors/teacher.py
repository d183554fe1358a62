"""Build and freeze a teacher detector from a config and a checkpoint."""
import logging
import os.path as osp
from pathlib import Path
from typing import Optional, Union

from mmengine.config import Config, ConfigDict
from mmengine.hub import get_config
from mmengine.logging import print_log
from mmengine.runner import load_checkpoint
from mmdet.registry import MODELS
from torch import nn


def resolve_teacher_config(teacher_config: Union[str, Path, dict]) -> Config:
    """Load a teacher config given as a path, an ``mmdet::`` name or a dict.

    Raises:
        FileNotFoundError: If a path does not exist; the message lists the
            paths that were tried.
    """
    if isinstance(teacher_config, (dict, ConfigDict, Config)):
        return Config(dict(teacher_config))
    name = str(teacher_config)
    if '::' in name:
        # mmengine resolves 'mmdet::x.py' inside the installed package.
        return get_config(name)
    tried = [osp.abspath(name)]
    if osp.isfile(name):
        return Config.fromfile(name)
    raise FileNotFoundError(
        f'teacher config {name!r} was not found; tried {tried}. Give a path '
        "that exists from the current folder or an mmdet name such as "
        "'mmdet::gfl/gfl_r101_fpn_ms-2x_coco.py'")


def build_frozen_teacher(teacher_config: Union[str, Path, dict],
                         teacher_ckpt: Optional[str]) -> nn.Module:
    """Build the teacher model, load its weights and freeze it.

    The teacher is marked as initialised so that ``init_weights`` of the
    distiller cannot overwrite the loaded weights.
    """
    cfg = resolve_teacher_config(teacher_config)
    model_cfg = cfg['model'] if 'model' in cfg else cfg
    teacher = MODELS.build(model_cfg)
    if teacher_ckpt is not None:
        if '://' not in str(teacher_ckpt) and not osp.isfile(teacher_ckpt):
            raise FileNotFoundError(
                f'teacher checkpoint {teacher_ckpt!r} was not found; train '
                'the teacher first or fix teacher_ckpt in the config')
        load_checkpoint(
            teacher, teacher_ckpt, map_location='cpu', strict=True)
        teacher._is_init = True
        for module in teacher.modules():
            if hasattr(module, '_is_init'):
                module._is_init = True
    else:
        print_log(
            'teacher_ckpt is None: the teacher keeps its initial weights, '
            'which is only useful for tests', logger='current',
            level=logging.WARNING)
    for param in teacher.parameters():
        param.requires_grad = False
    teacher.eval()
    return teacher
