"""Demo: distil an image classifier with KD and with KD + RLKD on digits.

Trains a teacher from scratch on scikit-learn's handwritten digits
(``DigitsClsDataset``, no download), then three students with the same seed
and schedule: the student alone, vanilla KD at a fixed T=4, and KD with
temperatures chosen per image by the RLKD agent. Each run is a call of
``tools/train.py``. The top-1 accuracy on the val split and the training
time of every run go to ``results.json`` in the work dir, and a table is
printed.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs', 'digits_cls')
RUNS = ('teacher', 'student', 'kd', 'kd_rlkd')
RUN_CONFIGS = dict(
    teacher='teacher_digits.py',
    student='student_digits.py',
    kd='kd_digits.py',
    kd_rlkd='kd-rlkd_digits.py')

# (teacher epochs, student epochs, train images, val images). An image
# count of None keeps the whole split: 1257 train and 540 val images.
SCHEDULES = dict(full=(10, 10, None, None), quick=(2, 1, 320, 160))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--quick',
        action='store_true',
        help='train on a subset for 2 teacher epochs and 1 student epoch '
        '(a smoke test of the whole pipeline)')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/demo_cls',
        help='output folder of the runs and of results.json')
    parser.add_argument(
        '--runs',
        nargs='+',
        default=list(RUNS),
        choices=RUNS,
        help='runs to train. kd and kd_rlkd need the teacher checkpoint of '
        'an earlier teacher run in the same work dir')
    parser.add_argument(
        '--seed', type=int, default=0, help='random seed of every run')
    return parser.parse_args(argv)


def read_top1(work_dir: str) -> float:
    """Return the last ``accuracy/top1`` that a run logged, in percent."""
    runs = sorted(
        d for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    if not runs:
        raise FileNotFoundError(
            f'no <timestamp>/vis_data/scalars.json found under {work_dir}. '
            'Check the log of the run for the error that stopped it')
    path = osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')
    top1 = None
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            if 'accuracy/top1' in record:
                top1 = float(record['accuracy/top1'])
    if top1 is None:
        raise RuntimeError(f'{path} contains no accuracy/top1 record')
    return top1


def train(name: str, config: str, work_dir: str,
          options: List[str]) -> float:
    """Train one run with tools/train.py and return its wall time in s."""
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir', work_dir,
        '--cfg-options'
    ] + options
    print(f'\n[demo_cls] === {name}: {" ".join(cmd)}', flush=True)
    start = time.time()
    subprocess.run(cmd, check=True, cwd=ROOT)
    return time.time() - start


def schedule_options(epochs: int, num_train: Optional[int],
                     num_val: Optional[int], seed: int) -> List[str]:
    """Return the --cfg-options that set the schedule and the data subset."""
    options = [
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        f'param_scheduler.0.end={epochs}',
        f'param_scheduler.0.T_max={epochs}',
        f'default_hooks.checkpoint.interval={epochs}',
        f'randomness.seed={seed}',
    ]
    if num_train is not None:
        options.append(f'train_dataloader.dataset.indices={num_train}')
    if num_val is not None:
        options.append(f'val_dataloader.dataset.indices={num_val}')
    return options


def print_table(results: Dict[str, dict], schedule: str,
                results_path: str) -> None:
    """Print the top-1 accuracy and training time of every run."""
    print(f'\n[demo_cls] results ({schedule} schedule), also in '
          f'{results_path}')
    print(f'{"run":<10}{"top-1 %":>10}{"train s":>10}')
    for name, result in results.items():
        print(f'{name:<10}{result["top1"]:>10.2f}'
              f'{result["train_seconds"]:>10.1f}')


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Train the requested runs and write and print their results.

    Returns:
        dict[str, dict]: ``top1`` (percent) and ``train_seconds`` of every
        run in ``results.json``, including runs of earlier calls.
    """
    args = parse_args(argv)
    schedule = 'quick' if args.quick else 'full'
    teacher_epochs, student_epochs, num_train, num_val = SCHEDULES[schedule]
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)

    teacher_ckpt = osp.join(work_dir, 'teacher',
                            f'epoch_{teacher_epochs}.pth')
    kd_options = [f'model.teacher_ckpt={teacher_ckpt}']
    rlkd_options = []
    if args.quick:
        # Let the agent act and run PPO updates within one short epoch.
        rlkd_options = [
            'custom_hooks.0.warmup_epochs=0',
            'custom_hooks.0.agent.rollout_batches=2',
            'custom_hooks.0.log_interval=2',
            'default_hooks.logger.interval=2',
        ]
    extra = dict(
        teacher=[], student=[], kd=kd_options,
        kd_rlkd=kd_options + rlkd_options)

    results_path = osp.join(work_dir, 'results.json')
    results: Dict[str, dict] = {}
    if osp.isfile(results_path):
        with open(results_path) as f:
            results = json.load(f)
    for name in args.runs:
        if name in ('kd', 'kd_rlkd') and not osp.isfile(teacher_ckpt):
            raise FileNotFoundError(
                f'teacher checkpoint {teacher_ckpt} is missing. Train the '
                "'teacher' run first, which the default --runs include")
        epochs = teacher_epochs if name == 'teacher' else student_epochs
        run_dir = osp.join(work_dir, name)
        options = schedule_options(epochs, num_train, num_val,
                                   args.seed) + extra[name]
        seconds = train(name, osp.join(CONFIGS, RUN_CONFIGS[name]), run_dir,
                        options)
        results[name] = dict(
            top1=read_top1(run_dir), train_seconds=round(seconds, 1))
        with open(results_path, 'w') as f:
            json.dump(results, f, indent=2)

    print_table(results, schedule, results_path)
    return results


if __name__ == '__main__':
    main()
