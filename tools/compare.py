"""Compare the temperature sources over several seeds on the two demos.

The tasks are the digits detection demo (GFL student distilled with LD,
COCO bbox mAP) and the digits classification demo (CIFAR ResNet-8 student
distilled with KD, top-1 accuracy). For each, the script trains one student
per temperature source and seed with ``tools/train.py``, using the schedules
and helpers of ``tools/demo.py`` and ``tools/demo_cls.py``. Each task's
teacher is trained once (seed 0) unless its checkpoint already exists.

Finished runs are kept in ``<work-dir>/results_<schedule>.json`` and skipped
when the script runs again, so an interrupted comparison resumes. The script
prints mean and std over seeds per source and, for every RLKD source, the
per-seed difference to fixed-temperature KD and to CTKD with a paired t-test
(runs with the same seed share the student's initialisation and data order).
It writes them to ``summary_<schedule>.json``, with a plot in
``compare_<schedule>.png``.
Runs go to ``<work-dir>/<schedule>/<task>/``; ``<schedule>`` is ``full`` or
``quick``.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import statistics
from types import ModuleType
from typing import Dict, List, Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SOURCES = ('fixed', 'ctkd', 'ls', 'rlkd', 'rlkd_kd_weight')
DEFAULT_SOURCES = ('fixed', 'ctkd', 'ls', 'rlkd')
TASKS = ('detection', 'classification')
CONFIGS = dict(
    detection=dict(
        teacher='gfl_teacher_digits.py',
        fixed='ld_student_digits.py',
        ctkd='ld_ctkd_student_digits.py',
        ls='ld_ls_student_digits.py',
        rlkd='ld_rlkd_student_digits.py',
        rlkd_kd_weight='ld_rlkd_student_digits.py'),
    classification=dict(
        teacher='teacher_digits.py',
        fixed='kd_digits.py',
        ctkd='kd-ctkd_digits.py',
        ls='kd-ls_digits.py',
        rlkd='kd-rlkd_digits.py',
        rlkd_kd_weight='kd-rlkd_digits.py'))
CONFIG_DIRS = dict(
    detection=osp.join(ROOT, 'configs', 'demo'),
    classification=osp.join(ROOT, 'configs', 'digits_cls'))
METRICS = dict(detection='bbox_mAP', classification='top1')
# Each RLKD source is compared with these sources, seed by seed.
BASELINES = ('fixed', 'ctkd')
# Two-sided p-value below which a difference counts as beyond seed noise.
SIGNIFICANCE = 0.05
KD_WEIGHT_OPTIONS = [
    'custom_hooks.0.agent.learn_kd_weight=True',
    'custom_hooks.0.agent.kd_weight_range=[0,2]',
]
# With --quick the agent acts and updates inside the one-epoch schedule.
QUICK_RLKD_OPTIONS = [
    'custom_hooks.0.warmup_epochs=0',
    'custom_hooks.0.agent.rollout_batches=2',
]


def load_tool(name: str) -> ModuleType:
    """Import ``tools/<name>.py``, which is not part of a package."""
    spec = importlib.util.spec_from_file_location(
        f'rlkd_tools_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog='Finished runs are read from <work-dir>/results_<schedule>.'
        'json and not trained again; they are identified by task, source '
        'and seed only, so use another --work-dir after changing the data '
        'or the teacher.')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='the quick schedules of the demos (tiny data, 1 student '
        'epoch): a smoke test, too short to rank the sources')
    parser.add_argument(
        '--tasks', nargs='+', default=list(TASKS), choices=TASKS,
        help='tasks to run')
    parser.add_argument(
        '--sources',
        nargs='+',
        default=list(DEFAULT_SOURCES),
        choices=SOURCES,
        help='temperature sources to compare')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=[0, 1, 2],
        help='random seeds of the students')
    parser.add_argument(
        '--work-dir', default='work_dirs/compare', help='output folder')
    parser.add_argument(
        '--data-root',
        default=None,
        help='digits detection dataset; when unset, data/digits_coco '
        '(data/digits_coco_quick with --quick)')
    return parser.parse_args(argv)


def detection_options(data_root: str, epochs: int, seed: int,
                      quick: bool) -> List[str]:
    """Return the --cfg-options of a detection run, as tools/demo.py sets."""
    milestones = [max(1, int(epochs * 2 / 3)), max(1, int(epochs * 11 / 12))]
    options = [
        f'train_dataloader.dataset.data_root={data_root}/',
        f'val_dataloader.dataset.data_root={data_root}/',
        f'test_dataloader.dataset.data_root={data_root}/',
        f'val_evaluator.ann_file={data_root}/annotations/instances_val.json',
        f'test_evaluator.ann_file={data_root}/annotations/instances_val.json',
        f'randomness.seed={seed}',
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        f'param_scheduler.1.end={epochs}',
        f'param_scheduler.1.milestones=[{milestones[0]},{milestones[1]}]',
        f'default_hooks.checkpoint.interval={epochs}',
    ]
    if quick:
        # Under-trained quick models score low: keep their boxes for COCO.
        options.append('model.test_cfg.score_thr=0.001')
    return options


class TaskRunner:
    """Train the teacher and the students of one task."""

    def __init__(self, task: str, args: argparse.Namespace) -> None:
        self.task = task
        self.quick = args.quick
        schedule = 'quick' if args.quick else 'full'
        self.work_dir = osp.join(osp.abspath(args.work_dir), schedule, task)
        if task == 'detection':
            self.tool = load_tool('demo')
            self.teacher_epochs, self.student_epochs, num_train, num_val = \
                self.tool.SCHEDULES[schedule]
            data_root = args.data_root or ('data/digits_coco_quick'
                                           if args.quick else
                                           'data/digits_coco')
            self.data_root = osp.abspath(data_root)
            self.tool.ensure_dataset(self.data_root, num_train, num_val)
        else:
            self.tool = load_tool('demo_cls')
            (self.teacher_epochs, self.student_epochs, self.num_train,
             self.num_val) = self.tool.SCHEDULES[schedule]
        self.teacher_ckpt = osp.join(self.work_dir, 'teacher',
                                     f'epoch_{self.teacher_epochs}.pth')

    def options(self, epochs: int, seed: int) -> List[str]:
        """Return the schedule, data and seed options of a run."""
        if self.task == 'detection':
            return detection_options(self.data_root, epochs, seed,
                                     self.quick)
        return self.tool.schedule_options(epochs, self.num_train,
                                          self.num_val, seed)

    def train_teacher(self) -> None:
        """Train the teacher with seed 0 unless its checkpoint exists."""
        if osp.isfile(self.teacher_ckpt):
            print(f'[compare] reusing the teacher {self.teacher_ckpt}',
                  flush=True)
            return
        config = osp.join(CONFIG_DIRS[self.task],
                          CONFIGS[self.task]['teacher'])
        self.tool.train(f'{self.task}/teacher', config,
                        osp.join(self.work_dir, 'teacher'),
                        self.options(self.teacher_epochs, 0))

    def train_student(self, source: str, seed: int) -> float:
        """Train one student and return its metric (mAP or top-1 %)."""
        options = self.options(self.student_epochs, seed)
        options.append(f'model.teacher_ckpt={self.teacher_ckpt}')
        if self.task == 'detection':
            teacher_config = osp.join(CONFIG_DIRS['detection'],
                                      CONFIGS['detection']['teacher'])
            options.append(f'model.teacher_config={teacher_config}')
        if source.startswith('rlkd') and self.quick:
            options += QUICK_RLKD_OPTIONS
        if source == 'rlkd_kd_weight':
            options += KD_WEIGHT_OPTIONS
        run_dir = osp.join(self.work_dir, f'{source}_seed{seed}')
        config = osp.join(CONFIG_DIRS[self.task], CONFIGS[self.task][source])
        self.tool.train(f'{self.task}/{source}/seed {seed}', config, run_dir,
                        options)
        if self.task == 'detection':
            return float(self.tool.last_scalars(run_dir)['coco/bbox_mAP'])
        return self.tool.read_top1(run_dir)


def summarize(results: Dict[str, Dict[str, Dict[str, float]]]
              ) -> Dict[str, Dict[str, dict]]:
    """Compute mean, sample std and count over seeds per task and source."""
    summary: Dict[str, Dict[str, dict]] = {}
    for task, sources in results.items():
        summary[task] = {}
        for source, by_seed in sources.items():
            values = list(by_seed.values())
            summary[task][source] = dict(
                mean=statistics.mean(values),
                std=statistics.stdev(values) if len(values) > 1 else 0.0,
                seeds=len(values))
    return summary


def paired_differences(by_seed: Dict[str, float],
                       baseline_by_seed: Dict[str, float]) -> List[float]:
    """Return the differences of two sources in the seeds both have run.

    The differences are in seed order and rounded to 9 decimals, so that
    equal gains (one val image in every seed, say) count as equal despite
    float rounding.
    """
    seeds = sorted(set(by_seed) & set(baseline_by_seed), key=int)
    return [
        round(by_seed[seed] - baseline_by_seed[seed], 9) for seed in seeds
    ]


def compare_paired(by_seed: Dict[str, float],
                   baseline_by_seed: Dict[str, float]) -> Optional[dict]:
    """Compare two sources over the seeds both have run.

    Returns:
        dict | None: ``mean_diff`` and ``std_diff`` (sample std) of the
        per-seed differences, ``seeds``, the paired t statistic ``t`` and
        its two-sided ``p``, and ``verdict``: ``'better'`` or ``'worse'``
        when p < SIGNIFICANCE, ``'within seed noise'`` otherwise. With fewer
        than 2 shared seeds, or differences that are all equal, there is no
        test: ``t`` and ``p`` are None and the verdict is ``'undetermined'``.
        None when no seed is shared.
    """
    diffs = paired_differences(by_seed, baseline_by_seed)
    if not diffs:
        return None
    mean_diff = statistics.mean(diffs)
    std_diff = statistics.stdev(diffs) if len(diffs) > 1 else 0.0
    t = p = None
    verdict = 'undetermined'
    if len(diffs) > 1 and std_diff > 0:
        from scipy import stats
        result = stats.ttest_1samp(diffs, 0.0)
        t, p = float(result.statistic), float(result.pvalue)
        verdict = 'within seed noise'
        if p < SIGNIFICANCE:
            verdict = 'better' if mean_diff > 0 else 'worse'
    return dict(
        mean_diff=mean_diff,
        std_diff=std_diff,
        seeds=len(diffs),
        t=t,
        p=p,
        verdict=verdict)


def compare_sources(results: Dict[str, Dict[str, Dict[str, float]]]
                    ) -> Dict[str, Dict[str, dict]]:
    """Compare every RLKD source with each baseline, per task.

    Returns:
        dict: ``{task: {"<source> - <baseline>": compare_paired(...)}}``.
    """
    comparisons: Dict[str, Dict[str, dict]] = {}
    for task, sources in results.items():
        comparisons[task] = {}
        for source in sources:
            if not source.startswith('rlkd'):
                continue
            for baseline in BASELINES:
                if baseline not in sources:
                    continue
                comparison = compare_paired(sources[source],
                                            sources[baseline])
                if comparison is not None:
                    comparisons[task][f'{source} - {baseline}'] = comparison
    return comparisons


def print_summary(summary: Dict[str, Dict[str, dict]],
                  comparisons: Dict[str, Dict[str, dict]]) -> None:
    """Print mean +- std of each source and the paired comparisons."""
    for task, sources in summary.items():
        print(f'\n[compare] {task}: {METRICS[task]}, mean +- std over seeds')
        for source, stats in sources.items():
            print(f'  {source:<16}{stats["mean"]:>9.3f} +- '
                  f'{stats["std"]:<7.3f}({stats["seeds"]} seeds)')
        for pair, comparison in comparisons.get(task, {}).items():
            p = comparison['p']
            p_text = 'p = n/a' if p is None else f'p = {p:.3f}'
            print(f'  {pair:<24}{comparison["mean_diff"]:>+9.3f} +- '
                  f'{comparison["std_diff"]:.3f} per seed '
                  f'({comparison["seeds"]} seeds, paired t-test {p_text}): '
                  f'{comparison["verdict"]}')
        if len(comparisons.get(task, {})) > 1:
            print(f'  (each p is for one comparison, not corrected for the '
                  f'{len(comparisons[task])} made here)')


def plot(results: Dict[str, Dict[str, Dict[str, float]]],
         summary: Dict[str, Dict[str, dict]],
         comparisons: Dict[str, Dict[str, dict]], out_path: str) -> None:
    """Save one row of two panels per task.

    The left panel shows each source's seeds as dots and their mean +- std.
    The right panel shows the per-seed differences of each paired
    comparison around zero, labelled with p and the verdict.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    tasks = list(summary)
    fig, axes = plt.subplots(
        len(tasks), 2, figsize=(14, 4.5 * len(tasks)), squeeze=False)
    for row, task in zip(axes, tasks):
        ax = row[0]
        sources = list(summary[task])
        for position, source in enumerate(sources):
            values = list(results[task][source].values())
            ax.plot([position] * len(values), values, '.', color='gray')
            ax.errorbar(
                position,
                summary[task][source]['mean'],
                yerr=summary[task][source]['std'],
                fmt='o',
                color='tab:blue',
                capsize=5)
        ax.set_xticks(range(len(sources)))
        ax.set_xticklabels(sources, rotation=20)
        ax.set_ylabel(METRICS[task])
        ax.set_title(f'{task}: seeds (dots), mean +- std')
        ax.grid(axis='y', alpha=0.3)

        ax = row[1]
        pairs = comparisons.get(task, {})
        labels = []
        for position, (pair, comparison) in enumerate(pairs.items()):
            source, baseline = pair.split(' - ')
            diffs = paired_differences(results[task][source],
                                       results[task][baseline])
            ax.plot([position] * len(diffs), diffs, '.', color='gray')
            ax.errorbar(
                position,
                comparison['mean_diff'],
                yerr=comparison['std_diff'],
                fmt='o',
                color='tab:red',
                capsize=5)
            p = comparison['p']
            p_text = 'n/a' if p is None else f'{p:.2f}'
            labels.append(f'{pair}\np = {p_text}\n' +
                          comparison['verdict'].replace(' seed ', '\nseed '))
        ax.axhline(0.0, color='black', linewidth=0.8)
        ax.set_xlim(-0.5, max(len(labels), 2) - 0.5)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_ylabel(f'{METRICS[task]} difference, same seed')
        ax.set_title(f'{task}: paired differences')
        ax.grid(axis='y', alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_path, dpi=100)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Train the missing runs, then print and plot the comparison.

    Returns:
        dict: ``{task: {"sources": {source: {"mean", "std", "seeds"}},
        "comparisons": {"<source> - <baseline>": {...}}}}``, as written to
        ``summary_<schedule>.json``.
    """
    args = parse_args(argv)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    schedule = 'quick' if args.quick else 'full'
    results_path = osp.join(work_dir, f'results_{schedule}.json')
    results: Dict[str, Dict[str, Dict[str, float]]] = {}
    if osp.isfile(results_path):
        with open(results_path) as f:
            results = json.load(f)

    for task in args.tasks:
        runner = TaskRunner(task, args)
        runner.train_teacher()
        for seed in args.seeds:
            for source in args.sources:
                by_seed = results.setdefault(task, {}).setdefault(source, {})
                if str(seed) in by_seed:
                    continue
                by_seed[str(seed)] = runner.train_student(source, seed)
                with open(results_path, 'w') as f:
                    json.dump(results, f, indent=2)

    # Only the requested tasks, sources and seeds enter the summary.
    selected = {
        task: {
            source: {
                seed: value
                for seed, value in results[task][source].items()
                if int(seed) in args.seeds
            }
            for source in args.sources
        }
        for task in args.tasks
    }
    summary = summarize(selected)
    comparisons = compare_sources(selected)
    report = {
        task: dict(sources=summary[task], comparisons=comparisons[task])
        for task in summary
    }
    with open(osp.join(work_dir, f'summary_{schedule}.json'), 'w') as f:
        json.dump(report, f, indent=2)
    print_summary(summary, comparisons)
    plot_path = osp.join(work_dir, f'compare_{schedule}.png')
    plot(selected, summary, comparisons, plot_path)
    print(f'\n[compare] results in {results_path}, plot in {plot_path}')
    return report


if __name__ == '__main__':
    main()
