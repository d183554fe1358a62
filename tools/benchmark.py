"""Measure the step time and memory of each KD temperature source.

The two tasks are the digits demo detector (GFL student distilled with LD)
and a CIFAR-size classifier (32x32 digits, CIFAR ResNet-14 teacher and
ResNet-8 student from ``configs/digits_cls``). For each task the script
builds one model per temperature source: ``fixed`` (fixed-T KD), ``ctkd``,
``ls``, ``rlkd`` and ``rlkd_kd_weight`` (RLKD whose agent also picks each
instance's KD weight).

Step time: all variants of a task are built in one process and get the same
real batches; their training steps are interleaved (the order rotates every
step), so every variant sees the same machine load. The schedule holds the
RLKD hook's three phases in the proportions of the RLKD paper's schedule
(warm-up and agent training each 1/20 of the steps, at least 1 and 2 steps):
warm-up (fixed temperature), acting only, and agent training (acting,
recording and a PPO update whenever ``rollout_batches`` episodes are ready).
Teachers are random: a trained one costs the same.

Peak memory: the peak growth of live tensor memory over the training
steps. With CUDA it comes from ``torch.cuda.max_memory_allocated``, on the
CPU from the running sum of the allocations and frees that the torch
profiler records. Each (task, source) pair is measured in its own forked process before the
timing starts, so one variant's allocations cannot hide another's.

Writes ``<work-dir>/overhead.json``: ``{task: {source: {"step_time_ratio",
"peak_mem_ratio", ...}}}``, ratios relative to ``fixed``, and the device,
thread count and schedule to ``overhead_meta.json``, and prints a table.
"""
import argparse
import json
import multiprocessing
import os
import os.path as osp
import queue as queue_module
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SOURCES = ('fixed', 'ctkd', 'ls', 'rlkd', 'rlkd_kd_weight')
TASKS = ('detection', 'classification')
# Config of each source, per task: (config folder, config file).
CONFIGS = dict(
    detection=dict(
        fixed='ld_student_digits.py',
        ctkd='ld_ctkd_student_digits.py',
        ls='ld_ls_student_digits.py',
        rlkd='ld_rlkd_student_digits.py',
        rlkd_kd_weight='ld_rlkd_student_digits.py'),
    classification=dict(
        fixed='kd_digits.py',
        ctkd='kd-ctkd_digits.py',
        ls='kd-ls_digits.py',
        rlkd='kd-rlkd_digits.py',
        rlkd_kd_weight='kd-rlkd_digits.py'))
CONFIG_DIRS = dict(detection='demo', classification='digits_cls')
# --quick: timed steps per variant, untimed first steps, memory-probe steps.
QUICK = dict(steps=20, warmup_steps=1, memory_steps=4)
# A memory probe needs a PPO update before its last step, see probe_memory.
MIN_MEMORY_STEPS = 4


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--steps',
        type=int,
        default=None,
        help='timed training steps per variant (default 100, 20 with '
        '--quick)')
    parser.add_argument(
        '--warmup-steps',
        type=int,
        default=None,
        help='untimed first steps per variant (default 5, 1 with --quick)')
    parser.add_argument(
        '--memory-steps',
        type=int,
        default=None,
        help='training steps of each peak-memory process (default 10, 4 '
        f'with --quick, at least {MIN_MEMORY_STEPS}); 0 skips the memory '
        'measurement and leaves peak_mem_ratio out of the output')
    parser.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='peak-memory processes run at once (default 2)')
    parser.add_argument(
        '--tasks', nargs='+', default=list(TASKS), choices=TASKS,
        help='tasks to measure (default: both)')
    parser.add_argument(
        '--data-root',
        default='data/digits_coco',
        help='digits detection dataset (default data/digits_coco), built '
        'there when the folder is missing or empty')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/benchmark',
        help='output folder (default work_dirs/benchmark)')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='20 timed steps and 4 memory steps per variant (about 1 '
        'minute on 2 idle CPU cores)')
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else dict(
        steps=100, warmup_steps=5, memory_steps=10)
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    try:
        make_phases(args.steps)
    except ValueError as error:
        raise SystemExit(f'invalid --steps: {error}') from None
    if args.warmup_steps < 0:
        raise SystemExit('--warmup-steps must be 0 or more, got '
                         f'{args.warmup_steps}')
    if args.memory_steps != 0 and args.memory_steps < MIN_MEMORY_STEPS:
        raise SystemExit(f'--memory-steps must be 0 (skip) or at least '
                         f'{MIN_MEMORY_STEPS}, got {args.memory_steps}')
    if args.jobs < 1:
        raise SystemExit(f'--jobs must be at least 1, got {args.jobs}')
    return args


def device() -> torch.device:
    """Return the device of the benchmark: CUDA when available."""
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


def synchronize() -> None:
    """Wait for queued CUDA work, so timers see the whole step."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


class Timed:
    """Wrap a callable and add up the seconds spent in it."""

    def __init__(self, fn: Callable):
        self.fn = fn
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def ensure_detection_data(data_root: str) -> None:
    """Build the digits detection dataset when it is missing."""
    if osp.isfile(osp.join(data_root, 'annotations', 'instances_train.json')):
        return
    from rlkd_mmdet.datasets import build_digits_coco, check_output_folder
    try:
        check_output_folder(data_root)
    except FileExistsError as error:
        raise SystemExit(f'invalid --data-root: {error}') from None
    print(f'[benchmark] building the digits dataset in {data_root}',
          flush=True)
    build_digits_coco(data_root)


def build_variant(task: str, source: str, data_root: str):
    """Build the model, a train dataloader and the agent of one variant.

    Returns:
        tuple: The model (train mode, on :func:`device`), the dataloader and
        the :class:`RLKDAgent` bound to the model (None without RLKD).
    """
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.runner import Runner

    from rlkd_mmdet.rl import RLKDAgent

    config_dir = osp.join(ROOT, 'configs', CONFIG_DIRS[task])
    cfg = Config.fromfile(osp.join(config_dir, CONFIGS[task][source]))
    if task == 'detection':
        cfg.model.teacher_config = osp.join(config_dir,
                                            'gfl_teacher_digits.py')
        cfg.train_dataloader.dataset.data_root = data_root + '/'
    # A random teacher costs the same as a trained one.
    cfg.model.teacher_ckpt = None
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False

    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.to(device())
    model.train()
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)

    agent = None
    if source.startswith('rlkd'):
        agent_cfg = dict(cfg.custom_hooks[0].agent)
        if source == 'rlkd_kd_weight':
            agent_cfg.update(learn_kd_weight=True, kd_weight_range=(0, 2))
        agent = RLKDAgent(**agent_cfg).to(device())
        model.temperature_source.bind_agent(agent)
    return model, loader, agent


def make_phases(steps: int) -> List[str]:
    """Return the phase of each timed step: warm-up, acting, training.

    Warm-up and agent training each take 1/20 of the steps, as in the RLKD
    schedule. Short runs keep at least 1 warm-up and 2 training steps, so a
    PPO update can happen.
    """
    num_warmup = max(1, steps // 20)
    num_training = max(2, steps // 20)
    num_acting = steps - num_warmup - num_training
    if num_acting < 1:
        raise ValueError(f'{steps} steps leave no acting phase; use at '
                         f'least {num_warmup + num_training + 1}')
    return ['warmup'] * num_warmup + ['acting'] * num_acting + [
        'training'
    ] * num_training


class Variant:
    """One model under test, with its optimizer, agent and timings."""

    def __init__(self, task: str, source: str, data_root: str,
                 rollout_batches: Optional[int]) -> None:
        self.source = source
        self.model, self.loader, self.agent = build_variant(
            task, source, data_root)
        self.optimizer = torch.optim.SGD(
            self.model.parameters(), lr=0.01, momentum=0.9)
        self.times: List[float] = []
        self.phase_times: Dict[str, List[float]] = {}
        if self.agent is not None:
            if rollout_batches is not None:
                self.agent.rollout_batches = min(self.agent.rollout_batches,
                                                 rollout_batches)
            self.agent.act = Timed(self.agent.act)
            # In 'next_batch' mode act() completes the previous episode
            # through _complete(), where the reward is computed.
            self.agent._complete = Timed(self.agent._complete)
            self.agent.update = Timed(self.agent.update)

    def set_phase(self, phase: str) -> None:
        """Switch the agent as RLKDHook does in ``phase``."""
        if self.agent is None:
            return
        self.model.temperature_source.agent_acting = phase != 'warmup'
        recording = phase == 'training'
        if self.agent.recording and not recording:
            self.agent.discard_pending()
        self.agent.recording = recording

    def step(self, data: dict) -> float:
        """Run one training step (and a due PPO update); return seconds."""
        synchronize()
        start = time.perf_counter()
        batch = self.model.data_preprocessor(data, True)
        losses = self.model.loss(batch['inputs'], batch['data_samples'])
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        if self.agent is not None and self.agent.recording and \
                self.agent.ready_to_update:
            self.agent.update()
        synchronize()
        return time.perf_counter() - start


def cycle(loader):
    """Yield batches of ``loader`` forever."""
    while True:
        yield from loader


def time_task(task: str, steps: int, warmup_steps: int,
              data_root: str) -> Tuple[Dict[str, dict], dict]:
    """Time the interleaved training steps of every source of a task.

    Returns:
        tuple[dict, dict]: Per source, the mean step time, the median step
        of each phase and the agent's time per call; and the schedule.
    """
    phases = make_phases(steps)
    num_training = phases.count('training')
    # In 'next_batch' mode n recording steps complete n - 1 episodes.
    rollout_batches = max(1, num_training - 1)
    variants = [
        Variant(task, source, data_root, rollout_batches)
        for source in SOURCES
    ]
    batches = cycle(variants[0].loader)

    total = warmup_steps + steps
    print(f'[benchmark] {task}: {warmup_steps} untimed + {steps} timed '
          f'steps per variant, {len(variants)} variants interleaved',
          flush=True)
    for i in range(total):
        data = next(batches)
        timed = i >= warmup_steps
        phase = phases[i - warmup_steps] if timed else 'acting'
        shift = i % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            variant.set_phase(phase)
            seconds = variant.step(data)
            if timed:
                variant.times.append(seconds)
                variant.phase_times.setdefault(phase, []).append(seconds)
        if (i + 1) % 10 == 0:
            print(f'[benchmark] {task}: step {i + 1}/{total}', flush=True)

    results = {}
    for variant in variants:
        result = dict(
            step_time_s=statistics.mean(variant.times),
            median_step_s_by_phase={
                phase: statistics.median(times)
                for phase, times in variant.phase_times.items()
            })
        agent = variant.agent
        if agent is not None:
            total_s = sum(variant.times)
            for name, timed_fn in (('act', agent.act),
                                   ('reward', agent._complete),
                                   ('update', agent.update)):
                result[f'agent_{name}_ms_per_call'] = (
                    1000 * timed_fn.seconds / max(timed_fn.calls, 1))
                result[f'agent_{name}_calls'] = timed_fn.calls
                result[f'agent_{name}_share'] = timed_fn.seconds / total_s
        results[variant.source] = result
    schedule = dict(
        steps=steps,
        warmup_steps=warmup_steps,
        phase_steps={p: phases.count(p)
                     for p in ('warmup', 'acting', 'training')},
        rollout_batches=rollout_batches)
    return results, schedule


def allocated_peak(run: Callable[[], None]) -> int:
    """Return the peak growth of live tensor memory while ``run`` runs.

    On CUDA this is ``torch.cuda.max_memory_allocated`` over the allocation
    before the run. On the CPU, where torch keeps no such counter, the
    profiler records every tensor allocation and free with its size. Their
    running sum in time order is the live tensor memory, and its maximum is
    the peak. Unlike the resident set size, this does not depend on how the
    C allocator reuses freed pages, so repeated measurements agree.
    """
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
        baseline = torch.cuda.memory_allocated()
        run()
        return torch.cuda.max_memory_allocated() - baseline
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU],
                 profile_memory=True) as prof:
        run()
    records = [
        event for event in prof.profiler.kineto_results.events()
        if event.name() == '[memory]'
    ]
    records.sort(key=lambda event: event.start_ns())
    live = peak = 0
    for event in records:
        live += event.nbytes()
        peak = max(peak, live)
    return peak


def probe_memory(task: str, source: str, steps: int, data_root: str) -> dict:
    """Measure the peak tensor memory growth of ``steps`` training steps.

    Returns:
        dict: ``peak_mem_bytes`` and ``method``.
    """
    variant = Variant(task, source, data_root, rollout_batches=1)
    batches = cycle(variant.loader)
    # Load the batches first, so that only the steps are measured.
    data = [next(batches) for _ in range(steps)]

    def run() -> None:
        for i in range(steps):
            # Record from the second step on. With one batch per rollout the
            # first PPO update ends the third step, so the later steps run
            # with the policy's gradients and Adam moments allocated, as in
            # training.
            variant.set_phase('training' if i >= 1 else 'acting')
            variant.step(data[i])

    peak = allocated_peak(run)
    method = ('cuda_max_memory_allocated'
              if torch.cuda.is_available() else 'cpu_profiler_allocations')
    return dict(peak_mem_bytes=max(peak, 1), method=method)


def _probe_child(queue, task: str, source: str, steps: int,
                 data_root: str) -> None:
    try:
        queue.put((task, source, probe_memory(task, source, steps,
                                              data_root), None))
    except Exception as error:  # sent to the parent, which raises it
        queue.put((task, source, None, repr(error)))


def measure_memory(tasks: Sequence[str], steps: int, data_root: str,
                   jobs: int) -> Dict[str, Dict[str, dict]]:
    """Run :func:`probe_memory` for every (task, source) in its own process.

    The probes are forked from this process, so they skip the imports, and
    each one measures only its own memory. Up to ``jobs`` run at once.
    Call this before any training step: forking a process whose OpenMP
    threads have started can hang the child.

    Returns:
        dict: ``{task: {source: probe result}}``.
    """
    context = multiprocessing.get_context('fork')
    queue = context.Queue()
    pending = [(task, source) for task in tasks for source in SOURCES]
    running = {}
    results: Dict[str, Dict[str, dict]] = {task: {} for task in tasks}
    while pending or running:
        while pending and len(running) < jobs:
            task, source = pending.pop(0)
            print(f'[benchmark] {task}: peak memory of {source}', flush=True)
            process = context.Process(
                target=_probe_child,
                args=(queue, task, source, steps, data_root))
            process.start()
            running[(task, source)] = process
        try:
            task, source, result, error = queue.get(timeout=5)
        except queue_module.Empty:
            # A child that died without a result (killed for memory, for
            # example) would otherwise leave this loop waiting forever.
            for (dead_task, dead_source), process in running.items():
                if not process.is_alive() and queue.empty():
                    raise RuntimeError(
                        f'memory probe of {dead_task}/{dead_source} exited '
                        f'with code {process.exitcode} without a result'
                    ) from None
            continue
        # The child exits right after sending its small result.
        running.pop((task, source)).join()
        if error is not None:
            raise RuntimeError(
                f'memory probe of {task}/{source} failed: {error}')
        results[task][source] = result
    return results


def summarize(timings: Dict[str, dict],
              memory: Optional[Dict[str, dict]]) -> Dict[str, dict]:
    """Add the ratios to fixed-temperature KD to every source's entry."""
    fixed_time = timings['fixed']['step_time_s']
    summary = {}
    for source, timing in timings.items():
        entry = dict(step_time_ratio=timing['step_time_s'] / fixed_time)
        if memory is not None:
            entry['peak_mem_ratio'] = (memory[source]['peak_mem_bytes'] /
                                       memory['fixed']['peak_mem_bytes'])
            entry['peak_mem_mb'] = memory[source]['peak_mem_bytes'] / 2**20
            entry['peak_mem_method'] = memory[source]['method']
        entry.update(timing)
        summary[source] = entry
    return summary


def print_table(results: Dict[str, dict]) -> None:
    """Print step time, phase medians, memory and agent time per source."""
    print('[benchmark] step ms: mean over the timed steps; ratio: to '
          'fixed-temperature KD; warm-up, acting, training: median step ms '
          "in each phase of RLKD's schedule (step counts in "
          'overhead_meta.json); peak MB: peak growth of live tensor memory; '
          'act, reward, update: agent ms per call')
    header = (f'{"task":<16}{"source":<16}{"step ms":>9}{"ratio":>7}'
              f'{"warm-up":>9}{"acting":>9}{"training":>9}{"peak MB":>9}'
              f'{"ratio":>7}{"act":>7}{"reward":>7}{"update":>8}')
    print(header)
    for task, sources in results.items():
        for source, entry in sources.items():
            medians = entry['median_step_s_by_phase']
            row = (f'{task:<16}{source:<16}{1000 * entry["step_time_s"]:>9.1f}'
                   f'{entry["step_time_ratio"]:>7.2f}')
            for phase in ('warmup', 'acting', 'training'):
                row += f'{1000 * medians.get(phase, float("nan")):>9.1f}'
            if 'peak_mem_mb' in entry:
                row += (f'{entry["peak_mem_mb"]:>9.2f}'
                        f'{entry["peak_mem_ratio"]:>7.3f}')
            else:
                row += f'{"-":>9}{"-":>7}'
            for name, width in (('act', 7), ('reward', 7), ('update', 8)):
                value = entry.get(f'agent_{name}_ms_per_call')
                row += (f'{value:>{width}.1f}'
                        if value is not None else f'{"-":>{width}}')
            print(row)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Measure every task and write and print the overhead table.

    Returns:
        dict: The content of ``overhead.json``.
    """
    args = parse_args(argv)
    sys.path.insert(0, ROOT)
    import rlkd_mmdet.cls  # noqa: F401
    import rlkd_mmdet.engine  # noqa: F401
    import rlkd_mmdet.models  # noqa: F401
    from mmdet.utils import register_all_modules
    from mmengine.logging import MMLogger
    register_all_modules()
    # Keep the initialisation reports of ten model builds out of the output.
    MMLogger.get_instance('benchmark', log_level='WARNING')
    data_root = osp.abspath(args.data_root)

    if 'detection' in args.tasks:
        ensure_detection_data(data_root)
    results: dict = {}
    meta = dict(
        device=str(device()),
        torch_threads=torch.get_num_threads(),
        cpu_count=os.cpu_count(),
        schedule={})
    memory = None
    if args.memory_steps > 0:
        memory = measure_memory(args.tasks, args.memory_steps, data_root,
                                args.jobs)
    timings = {}
    for task in args.tasks:
        timings[task], meta['schedule'][task] = time_task(
            task, args.steps, args.warmup_steps, data_root)
    for task in args.tasks:
        results[task] = summarize(timings[task],
                                  memory[task] if memory else None)

    os.makedirs(args.work_dir, exist_ok=True)
    out = osp.join(args.work_dir, 'overhead.json')
    with open(out, 'w') as f:
        json.dump(results, f, indent=2)
    with open(osp.join(args.work_dir, 'overhead_meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
    print_table(results)
    print(f'[benchmark] written to {out} (machine and schedule in '
          'overhead_meta.json)')
    return results


if __name__ == '__main__':
    main()
