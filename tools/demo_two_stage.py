"""Demo: distil a Faster R-CNN with RoI KD and with RoI KD + RLKD on digits.

The two-stage counterpart of ``tools/demo.py``. It builds the offline
digits COCO dataset if it is missing and trains a tiny Faster R-CNN teacher
from scratch. Then it trains students with the same seed and schedule: no
KD, KD on the RoI classification logits at a fixed temperature, and the
same KD with RLKD's per-RoI temperatures. It evaluates each run with COCO
bbox mAP and writes ``results.json`` and a table to the work dir.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Sequence

TOOLS = osp.dirname(osp.abspath(__file__))
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)
from demo import ensure_dataset, last_scalars, train  # noqa: E402

ROOT = osp.dirname(TOOLS)
CONFIGS = osp.join(ROOT, 'configs', 'demo')
RUNS = ('teacher', 'student', 'kd', 'kd_rlkd')
CONFIG_FILES = dict(
    teacher='faster-rcnn_teacher_digits.py',
    student='faster-rcnn_student_digits.py',
    kd='faster-rcnn_kd_student_digits.py',
    kd_rlkd='faster-rcnn_kd-rlkd_student_digits.py')

# (teacher epochs, student epochs, train images, val images); the image
# counts match tools/demo.py so both demos share their datasets.
SCHEDULES = dict(full=(16, 10, 800, 300), quick=(2, 1, 160, 48))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--quick',
        action='store_true',
        help='tiny data and schedule (a smoke test of the whole pipeline)')
    parser.add_argument(
        '--work-dir', default='work_dirs/demo_two_stage', help='output folder')
    parser.add_argument(
        '--data-root',
        default=None,
        help='dataset folder (default: data/digits_coco, or '
        'data/digits_coco_quick with --quick)')
    parser.add_argument(
        '--runs',
        nargs='+',
        default=list(RUNS),
        choices=RUNS,
        help='runs to train; the kd runs need the teacher checkpoint')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser.parse_args(argv)


def schedule_options(epochs: int) -> List[str]:
    """Return the --cfg-options that set a run's length."""
    milestones = [max(1, int(epochs * 2 / 3)), max(1, int(epochs * 11 / 12))]
    return [
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        f'param_scheduler.1.end={epochs}',
        f'param_scheduler.1.milestones=[{milestones[0]},{milestones[1]}]',
        f'default_hooks.checkpoint.interval={epochs}',
    ]


def data_options(data_root: str, seed: int) -> List[str]:
    """Return the --cfg-options that point every run at ``data_root``."""
    ann = f'{data_root}/annotations/instances_val.json'
    return [
        f'train_dataloader.dataset.data_root={data_root}/',
        f'val_dataloader.dataset.data_root={data_root}/',
        f'test_dataloader.dataset.data_root={data_root}/',
        f'val_evaluator.ann_file={ann}',
        f'test_evaluator.ann_file={ann}',
        f'randomness.seed={seed}',
    ]


def print_table(results: Dict[str, dict], schedule: str,
                results_path: str) -> None:
    """Print one row per run."""
    print(f'\n[demo_two_stage] results ({schedule} schedule), also in '
          f'{results_path}')
    print(f'{"run":<10}{"bbox_mAP":>10}{"mAP_50":>10}{"s/iter":>10}'
          f'{"train s":>10}')
    for name, run in results.items():
        print(f'{name:<10}{run["bbox_mAP"]:>10.3f}'
              f'{run["bbox_mAP_50"]:>10.3f}{run["iter_time"]:>10.4f}'
              f'{run["train_seconds"]:>10.1f}')


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Train and evaluate the requested runs; return the results."""
    args = parse_args(argv)
    schedule = 'quick' if args.quick else 'full'
    teacher_epochs, student_epochs, num_train, num_val = SCHEDULES[schedule]
    data_root = args.data_root or ('data/digits_coco_quick'
                                   if args.quick else 'data/digits_coco')
    data_root = osp.abspath(data_root)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    ensure_dataset(data_root, num_train, num_val)

    common = data_options(data_root, args.seed)
    if args.quick:
        # Under-trained quick models score low: keep their boxes for COCO.
        common.append('model.test_cfg.rcnn.score_thr=0.001')

    teacher_ckpt = osp.join(work_dir, 'teacher', f'epoch_{teacher_epochs}.pth')
    kd_options = [
        f'model.teacher_config={osp.join(CONFIGS, CONFIG_FILES["teacher"])}',
        f'model.teacher_ckpt={teacher_ckpt}',
    ]
    rlkd_options = []
    if args.quick:
        # Let the agent act and update inside a one-epoch schedule.
        rlkd_options = [
            'custom_hooks.0.warmup_epochs=0',
            'custom_hooks.0.agent.rollout_batches=2',
        ]
    extra_options = dict(
        teacher=[],
        student=[],
        kd=kd_options,
        kd_rlkd=kd_options + rlkd_options)

    results_path = osp.join(work_dir, 'results.json')
    results: Dict[str, dict] = {}
    if osp.isfile(results_path):
        with open(results_path) as f:
            results = json.load(f)
    for name in args.runs:
        if name.startswith('kd') and not osp.isfile(teacher_ckpt):
            raise FileNotFoundError(
                f'teacher checkpoint {teacher_ckpt} is missing; run the '
                "'teacher' run first (it is in the default --runs)")
        epochs = teacher_epochs if name == 'teacher' else student_epochs
        run_dir = osp.join(work_dir, name)
        start = time.time()
        train(name, osp.join(CONFIGS, CONFIG_FILES[name]), run_dir,
              common + schedule_options(epochs) + extra_options[name])
        seconds = time.time() - start
        scalars = last_scalars(run_dir)
        results[name] = dict(
            bbox_mAP=float(scalars['coco/bbox_mAP']),
            bbox_mAP_50=float(scalars['coco/bbox_mAP_50']),
            train_seconds=round(seconds, 1),
            iter_time=round(float(scalars['iter_time']), 4))
        with open(results_path, 'w') as f:
            json.dump(results, f, indent=2)

    print_table(results, schedule, results_path)
    return results


if __name__ == '__main__':
    main()
