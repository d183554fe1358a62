"""Measure the training-step cost of RLKD against fixed-temperature LD.

Builds the demo's LD student (fixed T=10) and LD + RLKD student from their
configs, feeds both the same real batches of the digits dataset, and times
their training steps interleaved in one process, so both see the same
machine load. The RLKD student runs the hook's schedule in its three phases:
warm-up (fixed temperature), acting only, and agent training (acting,
recording and a PPO update every ``rollout_batches`` batches). The time
spent in the agent's act and update calls is measured separately.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--steps', type=int, default=60, help='timed steps per variant')
    parser.add_argument(
        '--warmup-steps', type=int, default=5, help='untimed first steps')
    parser.add_argument(
        '--data-root', default='data/digits_coco', help='digits dataset')
    parser.add_argument(
        '--work-dir', default='work_dirs/benchmark', help='output folder')
    parser.add_argument(
        '--quick', action='store_true', help='20 timed steps per variant')
    return parser.parse_args()


def build(config: str, data_root: str):
    """Build the model and a train dataloader of a demo config."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    from mmdet.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'demo', config))
    if 'teacher_config' in cfg.model:
        cfg.model.teacher_config = osp.join(ROOT, 'configs', 'demo',
                                            'gfl_teacher_digits.py')
        # A random teacher costs the same as a trained one.
        cfg.model.teacher_ckpt = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    cfg.train_dataloader.dataset.data_root = data_root + '/'
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    return cfg, model, loader


class Timed:
    """Wrap a callable and add up the seconds spent in it."""

    def __init__(self, fn):
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


def main() -> None:
    args = parse_args()
    steps = 20 if args.quick else args.steps
    sys.path.insert(0, ROOT)
    import rlkd_mmdet.engine  # noqa: F401
    import rlkd_mmdet.models  # noqa: F401
    from mmdet.utils import register_all_modules
    from rlkd_mmdet.rl import RLKDAgent
    register_all_modules()

    data_root = osp.abspath(args.data_root)
    if not osp.isfile(osp.join(data_root, 'annotations',
                               'instances_train.json')):
        from rlkd_mmdet.datasets import build_digits_coco
        print(f'[benchmark] building the digits dataset in {data_root}')
        build_digits_coco(data_root)

    _, fixed_model, loader = build('ld_student_digits.py', data_root)
    rlkd_cfg, rlkd_model, _ = build('ld_rlkd_student_digits.py', data_root)
    agent_cfg = dict(rlkd_cfg.custom_hooks[0].agent)
    agent = RLKDAgent(**agent_cfg)
    source = rlkd_model.temperature_source
    source.bind_agent(agent)
    agent.act = Timed(agent.act)
    agent.update = Timed(agent.update)

    variants = dict(fixed=fixed_model, rlkd=rlkd_model)
    optimizers = {
        name: torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        for name, model in variants.items()
    }
    for model in variants.values():
        model.train()

    # Phases in the proportions of the RLKD paper's CIFAR-100 schedule
    # (arXiv 2407.00115), where the agent trains in 1 epoch of every 20.
    phases = ['warmup'] * max(1, steps // 20) + ['acting'] * (
        steps - 2 * max(1, steps // 20)) + ['training'] * max(1, steps // 20)
    times: Dict[str, List[float]] = {'fixed': [], 'rlkd': []}
    phase_times: Dict[str, List[float]] = {p: [] for p in set(phases)}
    batches = iter(loader)

    def next_batch():
        nonlocal batches
        try:
            return next(batches)
        except StopIteration:
            batches = iter(loader)
            return next(batches)

    def step(model, optimizer, data):
        start = time.perf_counter()
        batch = model.data_preprocessor(data, True)
        losses = model.loss(batch['inputs'], batch['data_samples'])
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return time.perf_counter() - start

    total = args.warmup_steps + steps
    print(f'[benchmark] {args.warmup_steps} untimed + {steps} timed steps '
          'per variant, interleaved', flush=True)
    for i in range(total):
        data = next_batch()
        phase = 'acting' if i < args.warmup_steps else phases[
            i - args.warmup_steps]
        source.agent_acting = phase != 'warmup'
        agent.recording = phase == 'training'
        order = ('fixed', 'rlkd') if i % 2 == 0 else ('rlkd', 'fixed')
        for name in order:
            start = time.perf_counter()
            step(variants[name], optimizers[name], data)
            if name == 'rlkd' and agent.recording and \
                    agent.ready_to_update:
                agent.update()
            seconds = time.perf_counter() - start
            if i >= args.warmup_steps:
                times[name].append(seconds)
                if name == 'rlkd':
                    phase_times[phase].append(seconds)
        if (i + 1) % 10 == 0:
            print(f'[benchmark] step {i + 1}/{total}', flush=True)

    fixed_mean = statistics.mean(times['fixed'])
    rlkd_mean = statistics.mean(times['rlkd'])
    result = dict(
        fixed_step_s=fixed_mean,
        rlkd_step_s=rlkd_mean,
        step_time_ratio=rlkd_mean / fixed_mean,
        fixed_median_s=statistics.median(times['fixed']),
        rlkd_median_by_phase_s={
            p: statistics.median(v)
            for p, v in phase_times.items() if v
        },
        agent_act_ms_per_call=1000 * agent.act.seconds /
        max(agent.act.calls, 1),
        agent_update_ms_per_call=1000 * agent.update.seconds /
        max(agent.update.calls, 1),
        agent_updates=agent.update.calls,
        torch_threads=torch.get_num_threads())
    os.makedirs(args.work_dir, exist_ok=True)
    out = osp.join(args.work_dir, 'detection_step_time.json')
    with open(out, 'w') as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))
    print(f'[benchmark] written to {out}')


if __name__ == '__main__':
    main()
