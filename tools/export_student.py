"""Export the student of a distiller checkpoint as a plain mmdet checkpoint.

The distillers of this project keep the teacher as a submodule, so their
checkpoints hold ``teacher.*`` weights, and an RLKD run adds the agent
(``rlkd_agent``), the temperature history and the optimizer state. This
tool keeps only the student's weights and ``meta``, so the output loads
with ``strict=True`` into the model of the plain mmdet student config and
works with mmdet's ``tools/test.py``.

Example::

    python tools/export_student.py \\
        configs/rlkd/faster-rcnn_kd-rlkd_r18-r101_fpn_1x_coco.py \\
        work_dirs/rlkd/epoch_12.pth work_dirs/rlkd/student.pth \\
        --student-config mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py
"""
import argparse
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import init_default_scope
from mmengine.runner import CheckpointLoader, load_checkpoint

# Parameters and buffers that belong to the distiller, not to the student.
DISTILLER_PREFIXES = ('teacher.', 'temperature_source.')
# Number of keys that an error message lists.
MAX_LISTED_KEYS = 5


def _load_config(path: str) -> Config:
    if '::' in path:
        return get_config(path)
    return Config.fromfile(path)


def _first_keys(keys: Sequence[str]) -> str:
    keys = sorted(keys)
    listed = ', '.join(keys[:MAX_LISTED_KEYS])
    return listed + (', ...' if len(keys) > MAX_LISTED_KEYS else '')


def student_state_dict(state_dict: Dict[str, torch.Tensor]
                       ) -> Dict[str, torch.Tensor]:
    """Return the entries of ``state_dict`` that belong to the student."""
    return {
        key: value
        for key, value in state_dict.items()
        if not key.startswith(DISTILLER_PREFIXES)
    }


def expected_student_keys(config: Config) -> List[str]:
    """Return the student's state-dict keys of the model in ``config``.

    The model is built without loading the teacher checkpoint.
    """
    # Registers this project's modules (and imports mmdet's).
    import rlkd_mmdet.models  # noqa: F401
    from mmdet.registry import MODELS

    init_default_scope(config.get('default_scope', 'mmdet'))
    model_cfg = config.model.copy()
    if 'teacher_ckpt' in model_cfg:
        model_cfg.teacher_ckpt = None
    model = MODELS.build(model_cfg)
    return list(student_state_dict(model.state_dict()))


def export_student(config: str,
                   checkpoint: str,
                   out: str,
                   student_config: Optional[str] = None) -> dict:
    """Write the student part of a distiller checkpoint to ``out``.

    Args:
        config (str): Config of the distiller that wrote ``checkpoint``
            (a path or an ``mmdet::`` name).
        checkpoint (str): The distiller checkpoint.
        out (str): Path of the exported checkpoint.
        student_config (str, optional): Plain mmdet config of the student.
            When given, the export is loaded into its model with
            ``strict=True`` as a check. Defaults to None.

    Returns:
        dict: ``num_student_keys`` and ``num_removed_keys``.

    Raises:
        FileNotFoundError: If ``config`` or ``checkpoint`` does not exist.
        ValueError: If the checkpoint's student weights differ from the
            student of ``config``.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} was not found')
    if '::' not in config and not osp.isfile(config):
        raise FileNotFoundError(f'config {config!r} was not found')
    import rlkd_mmdet.models  # noqa: F401  (allows the checkpoint's types)

    loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    state_dict = loaded.get('state_dict', loaded)
    state_dict = {
        re.sub(r'^module\.', '', key): value
        for key, value in state_dict.items()
    }
    student = student_state_dict(state_dict)

    expected = set(expected_student_keys(_load_config(config)))
    missing = expected - set(student)
    unexpected = set(student) - expected
    if missing or unexpected:
        raise ValueError(
            f'the student weights in {checkpoint!r} do not match the model '
            f'of {config!r}: {len(missing)} keys missing '
            f'({_first_keys(missing)}), {len(unexpected)} unexpected '
            f'({_first_keys(unexpected)}); give the config the checkpoint '
            'was trained with')

    meta = dict(loaded.get('meta', {}))
    meta['exported_student_from'] = dict(
        config=config, checkpoint=osp.abspath(checkpoint))
    out_dir = osp.dirname(osp.abspath(out))
    os.makedirs(out_dir, exist_ok=True)
    torch.save(dict(meta=meta, state_dict=student), out)

    if student_config is not None:
        from mmdet.registry import MODELS
        plain = _load_config(student_config)
        init_default_scope(plain.get('default_scope', 'mmdet'))
        model = MODELS.build(plain.model)
        load_checkpoint(model, out, map_location='cpu', strict=True)
    return dict(
        num_student_keys=len(student),
        num_removed_keys=len(state_dict) - len(student))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config of the distiller')
    parser.add_argument('checkpoint', help='checkpoint of the distiller')
    parser.add_argument('out', help='path of the exported student checkpoint')
    parser.add_argument(
        '--student-config',
        help='plain mmdet config of the student: load the export into its '
        'model with strict=True as a check')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    stats = export_student(args.config, args.checkpoint, args.out,
                           args.student_config)
    checked = (f', loaded into {args.student_config} with strict=True'
               if args.student_config else '')
    print(f'wrote {args.out}: {stats["num_student_keys"]} student tensors, '
          f'{stats["num_removed_keys"]} distiller tensors removed{checked}')


if __name__ == '__main__':
    main()
