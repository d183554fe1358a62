"""Build and freeze a teacher detector from a config and a checkpoint."""
import logging
import os.path as osp
import re
from pathlib import Path
from typing import List, Optional, Union

from mmengine.config import Config, ConfigDict
from mmengine.hub import get_config
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader
from mmdet.registry import MODELS
from torch import nn

# The folder that contains `configs/`, for relative teacher config paths.
PROJECT_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
# Number of missing or unexpected keys that a checkpoint error lists.
MAX_LISTED_KEYS = 5


def describe_teacher_config(teacher_config) -> str:
    """Name the teacher config in error messages."""
    if isinstance(teacher_config, (str, Path)):
        return repr(str(teacher_config))
    return 'the teacher_config dict'


def resolve_teacher_config(teacher_config: Union[str, Path, dict]) -> Config:
    """Load a teacher config given as a path, an ``mmdet::`` name or a dict.

    A relative path is looked up from the current folder first, then from
    the project root, so configs of this repository work from any folder.

    Raises:
        FileNotFoundError: If a path or an ``mmdet::`` name does not exist;
            the message lists the paths that were tried.
    """
    if isinstance(teacher_config, (dict, ConfigDict, Config)):
        return Config(dict(teacher_config))
    name = str(teacher_config)
    if '::' in name:
        # mmengine resolves 'mmdet::x.py' inside the installed package.
        try:
            return get_config(name)
        except FileNotFoundError as error:
            raise FileNotFoundError(
                f'teacher config {name!r} was not found: {error}. Check the '
                'name against the configs of the installed mmdet '
                '(mmdet/.mim/configs)') from error
    tried = [osp.abspath(name)]
    if not osp.isabs(name):
        tried.append(osp.join(PROJECT_ROOT, name))
    for path in tried:
        if osp.isfile(path):
            return Config.fromfile(path)
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
        load_teacher_weights(teacher, teacher_ckpt,
                             describe_teacher_config(teacher_config))
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


def _first_keys(keys: List[str]) -> str:
    listed = ', '.join(keys[:MAX_LISTED_KEYS])
    return listed + (', ...' if len(keys) > MAX_LISTED_KEYS else '')


def load_teacher_weights(teacher: nn.Module, teacher_ckpt: str,
                         config_name: str) -> None:
    """Load a checkpoint into the teacher, requiring an exact key match.

    Args:
        teacher (nn.Module): The teacher built from its config.
        teacher_ckpt (str): Path or URL of the checkpoint.
        config_name (str): The teacher config, named in error messages.

    Raises:
        ValueError: If the checkpoint lacks keys of the teacher, has keys
            the teacher lacks, or has tensors of other shapes. The message
            lists the first keys of each kind.
    """
    checkpoint = CheckpointLoader.load_checkpoint(
        teacher_ckpt, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint)
    # Checkpoints saved from a DistributedDataParallel model carry `module.`.
    state_dict = {
        re.sub(r'^module\.', '', key): value
        for key, value in state_dict.items()
    }

    mismatch = f'teacher checkpoint {teacher_ckpt!r} does not match the ' \
        f'teacher config {config_name}'
    try:
        result = teacher.load_state_dict(state_dict, strict=False)
    except RuntimeError as error:
        # Shape mismatches; torch names every tensor in the message.
        raise ValueError(f'{mismatch}: {error}') from error

    missing, unexpected = list(result.missing_keys), list(
        result.unexpected_keys)
    if not missing and not unexpected:
        return
    parts = []
    if missing:
        parts.append(f'{len(missing)} keys of the teacher are missing from '
                     f'the checkpoint ({_first_keys(missing)})')
    if unexpected:
        parts.append(f'{len(unexpected)} keys of the checkpoint are not in '
                     f'the teacher ({_first_keys(unexpected)})')
    hint = 'use the checkpoint trained with this teacher config'
    if any(k.startswith('teacher.') for k in unexpected):
        hint = ('this looks like a distiller checkpoint; export its student '
                'with tools/export_student.py and give that file')
    raise ValueError(f'{mismatch}: {" and ".join(parts)}; {hint}')
