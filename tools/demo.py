"""Demo: distil a detector with LD and with LD + RLKD on real digits.

Builds the offline digits COCO dataset if it is missing and trains a
teacher from scratch. Then it trains three students with the same seed and
schedule: no KD, LD at a fixed temperature, and LD with RLKD temperatures.
It evaluates each with COCO bbox mAP and writes ``results.json``, a table
and a plot of the RLKD temperatures to the work dir.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs', 'demo')

RUN_CONFIGS = dict(
    teacher='gfl_teacher_digits.py',
    student='gfl_student_digits.py',
    ld='ld_student_digits.py',
    ld_rlkd='ld_rlkd_student_digits.py')
# RLKD ablations: the ld_rlkd config with one component switched off.
ABLATIONS = dict(
    ld_rlkd_no_calibration='ld_rlkd_student_digits_no-calibration.py',
    ld_rlkd_no_exploration='ld_rlkd_student_digits_no-exploration.py',
    ld_rlkd_no_uncertainty='ld_rlkd_student_digits_no-uncertainty.py')
DEFAULT_RUNS = ['teacher', 'student', 'ld', 'ld_rlkd']

# (teacher epochs, student epochs, train images, val images)
SCHEDULES = dict(full=(16, 10, 800, 300), quick=(2, 1, 160, 48))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--quick',
        action='store_true',
        help='tiny data and schedule (a smoke test of the whole pipeline)')
    parser.add_argument(
        '--work-dir', default='work_dirs/demo', help='output folder')
    parser.add_argument(
        '--data-root',
        default=None,
        help='dataset folder (default: data/digits_coco, or '
        'data/digits_coco_quick with --quick)')
    parser.add_argument(
        '--runs',
        nargs='+',
        default=None,
        choices=list(RUN_CONFIGS) + list(ABLATIONS),
        help='runs to train (default: teacher student ld ld_rlkd); a '
        'distilled run needs the teacher checkpoint')
    parser.add_argument(
        '--ablations',
        action='store_true',
        help='also train LD + RLKD without reward calibration, without '
        'efficient exploration and without the uncertainty feature')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--two-stage',
        action='store_true',
        help='run the Faster R-CNN variant instead (teacher, student, KD, '
        'KD + RLKD); the other options are then those of '
        'tools/demo_two_stage.py')
    return parser.parse_args()


def ensure_dataset(data_root: str, num_train: int, num_val: int) -> None:
    """Build the dataset unless its annotation files exist."""
    ann = osp.join(data_root, 'annotations', 'instances_val.json')
    if osp.isfile(ann):
        return
    sys.path.insert(0, ROOT)
    from rlkd_mmdet.datasets import build_digits_coco, check_output_folder
    try:
        check_output_folder(data_root)
    except FileExistsError as error:
        raise SystemExit(f'invalid --data-root: {error}') from None
    print(f'[demo] building the digits dataset in {data_root} '
          f'({num_train} train / {num_val} val images)', flush=True)
    build_digits_coco(data_root, num_train, num_val)


def last_scalars(work_dir: str) -> Dict[str, float]:
    """Return the val metrics and mean iteration time of a finished run."""
    runs = sorted(
        d for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    if not runs:
        raise FileNotFoundError(f'no scalars.json under {work_dir}')
    path = osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')
    metrics: Dict[str, float] = {}
    iter_times: List[float] = []
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            if 'coco/bbox_mAP' in record:
                metrics = record
            elif 'time' in record and 'loss' in record:
                iter_times.append(record['time'])
    if not metrics:
        # CocoMetric returns no metrics when the model detects nothing above
        # test_cfg.score_thr; that is an mAP of 0.
        print(f'[demo] WARNING: {path} contains no COCO metrics (no detection '
              'above the score threshold); counting mAP as 0', flush=True)
        metrics = {'coco/bbox_mAP': 0.0, 'coco/bbox_mAP_50': 0.0}
    # The first logged window includes start-up costs.
    steady = iter_times[1:] or iter_times
    metrics['iter_time'] = sum(steady) / max(len(steady), 1)
    return metrics


def train(name: str, config: str, work_dir: str, options: List[str]) -> float:
    """Train one run with tools/train.py and return its wall time."""
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir', work_dir,
        '--cfg-options'
    ] + options
    print(f'\n[demo] === {name}: {" ".join(cmd)}', flush=True)
    start = time.time()
    subprocess.run(cmd, check=True, cwd=ROOT)
    return time.time() - start


def plot_temperatures(history_path: str, out_path: str) -> None:
    """Plot the distribution of RLKD temperatures over training."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    with open(history_path) as f:
        data = json.load(f)
    history = data['history']
    if not history:
        raise RuntimeError(f'{history_path} contains no temperatures')
    counts = np.array([h['counts'] for h in history], dtype=float).T
    counts /= counts.sum(axis=0, keepdims=True).clip(min=1)
    iters = [h['iter'] for h in history]
    means = [h['mean'] for h in history]

    fig, ax = plt.subplots(figsize=(8, 4))
    extent = [iters[0], iters[-1] + 1, data['low'], data['high']]
    image = ax.imshow(
        counts, origin='lower', aspect='auto', extent=extent, cmap='viridis')
    ax.plot(iters, means, color='white', lw=1.5, label='mean T')
    ax.set_xlabel('iteration')
    ax.set_ylabel('temperature T')
    ax.set_title('RLKD per-location temperatures during training')
    ax.legend(loc='upper right')
    fig.colorbar(image, ax=ax, label='share of positive locations')
    fig.tight_layout()
    fig.savefig(out_path, dpi=120)
    plt.close(fig)


def main() -> None:
    if '--two-stage' in sys.argv[1:]:
        # The two-stage demo has its own runs and defaults.
        sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
        import demo_two_stage
        demo_two_stage.main([a for a in sys.argv[1:] if a != '--two-stage'])
        return
    args = parse_args()
    schedule = 'quick' if args.quick else 'full'
    teacher_epochs, student_epochs, num_train, num_val = SCHEDULES[schedule]
    data_root = args.data_root or ('data/digits_coco_quick'
                                   if args.quick else 'data/digits_coco')
    data_root = osp.abspath(data_root)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    ensure_dataset(data_root, num_train, num_val)

    data_options = [
        f'train_dataloader.dataset.data_root={data_root}/',
        f'val_dataloader.dataset.data_root={data_root}/',
        f'test_dataloader.dataset.data_root={data_root}/',
        f'val_evaluator.ann_file={data_root}/annotations/instances_val.json',
        f'test_evaluator.ann_file={data_root}/annotations/instances_val.json',
        f'randomness.seed={args.seed}',
    ]

    def schedule_options(epochs: int) -> List[str]:
        milestones = [
            max(1, int(epochs * 2 / 3)),
            max(1, int(epochs * 11 / 12))
        ]
        return [
            f'train_cfg.max_epochs={epochs}',
            f'train_cfg.val_interval={epochs}',
            f'param_scheduler.1.end={epochs}',
            f'param_scheduler.1.milestones=[{milestones[0]},{milestones[1]}]',
            f'default_hooks.checkpoint.interval={epochs}',
        ]

    teacher_dir = osp.join(work_dir, 'teacher')
    teacher_ckpt = osp.join(teacher_dir, f'epoch_{teacher_epochs}.pth')
    teacher_config = osp.join(CONFIGS, 'gfl_teacher_digits.py')
    kd_options = [
        f'model.teacher_config={teacher_config}',
        f'model.teacher_ckpt={teacher_ckpt}',
    ]
    rlkd_options = []
    if args.quick:
        # Under-trained quick models score low: keep their boxes for COCO.
        data_options.append('model.test_cfg.score_thr=0.001')
        # Let the agent act and update inside a one-epoch schedule.
        rlkd_options = [
            'custom_hooks.0.warmup_epochs=0',
            'custom_hooks.0.agent.rollout_batches=2',
        ]

    runs = dict(
        teacher=(RUN_CONFIGS['teacher'], teacher_epochs, []),
        student=(RUN_CONFIGS['student'], student_epochs, []),
        ld=(RUN_CONFIGS['ld'], student_epochs, kd_options),
        ld_rlkd=(RUN_CONFIGS['ld_rlkd'], student_epochs,
                 kd_options + rlkd_options))
    for name, config in ABLATIONS.items():
        runs[name] = (config, student_epochs, kd_options + rlkd_options)
    selected = args.runs or DEFAULT_RUNS + (list(ABLATIONS)
                                            if args.ablations else [])

    results_path = osp.join(work_dir, 'results.json')
    results = {}
    if osp.isfile(results_path):
        with open(results_path) as f:
            results = json.load(f)
    for name in selected:
        config, epochs, extra = runs[name]
        if name.startswith('ld') and not osp.isfile(teacher_ckpt):
            raise FileNotFoundError(
                f'teacher checkpoint {teacher_ckpt} is missing; run the '
                "'teacher' run first (it is in the default --runs)")
        run_dir = osp.join(work_dir, name)
        seconds = train(name, osp.join(CONFIGS, config), run_dir,
                        data_options + schedule_options(epochs) + extra)
        scalars = last_scalars(run_dir)
        results[name] = dict(
            bbox_mAP=float(scalars['coco/bbox_mAP']),
            bbox_mAP_50=float(scalars['coco/bbox_mAP_50']),
            train_seconds=round(seconds, 1),
            iter_time=round(float(scalars['iter_time']), 4))
        with open(results_path, 'w') as f:
            json.dump(results, f, indent=2)

    history = osp.join(work_dir, 'ld_rlkd', 'rlkd_temperatures.json')
    if osp.isfile(history):
        plot_temperatures(history, osp.join(work_dir, 'temperature.png'))

    print(f'\n[demo] results ({schedule} schedule), also in {results_path}')
    print(f'{"run":<24}{"bbox_mAP":>10}{"mAP_50":>10}{"s/iter":>10}'
          f'{"train s":>10}')
    for name, r in results.items():
        print(f'{name:<24}{r["bbox_mAP"]:>10.3f}{r["bbox_mAP_50"]:>10.3f}'
              f'{r["iter_time"]:>10.4f}{r["train_seconds"]:>10.1f}')
    if osp.isfile(osp.join(work_dir, 'temperature.png')):
        print(f'[demo] temperature plot: '
              f'{osp.join(work_dir, "temperature.png")}')


if __name__ == '__main__':
    main()
