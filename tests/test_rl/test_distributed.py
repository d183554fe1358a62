"""Agents on several processes stay identical after PPO updates."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from rlkd_mmdet.rl import Episode, RLKDAgent

NUM_UPDATES = 3
EPISODES_PER_RANK = 2


def _episodes(agent, rank, update):
    """Deterministic transitions of one rank for one update."""
    generator = torch.Generator().manual_seed(100 * update + rank)
    episodes = []
    for _ in range(EPISODES_PER_RANK):
        num = 10 + rank * 3
        states = torch.rand(num, 3, generator=generator)
        actions = torch.randn(num, 1, generator=generator)
        with torch.no_grad():
            log_probs, _, values = agent.policy.evaluate_actions(
                states, actions)
        episodes.append(
            Episode(states, actions, log_probs, values,
                    torch.rand((), generator=generator)))
    return episodes


def _make_agent():
    return RLKDAgent(rollout_batches=EPISODES_PER_RANK, batch_size=8, seed=5)


def _worker(rank, world_size, store, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo', init_method=f'file://{store}', rank=rank,
        world_size=world_size)
    agent = _make_agent()
    for update in range(NUM_UPDATES):
        for episode in _episodes(agent, rank, update):
            agent.buffer.add(episode)
        agent.update()
    torch.save(agent.policy.state_dict(),
               os.path.join(out_dir, f'rank{rank}.pth'))
    dist.destroy_process_group()


def test_ranks_hold_identical_agents(tmp_path):
    world_size = 2
    mp.spawn(
        _worker,
        args=(world_size, str(tmp_path / 'store'), str(tmp_path)),
        nprocs=world_size,
        join=True)
    rank0 = torch.load(tmp_path / 'rank0.pth')
    rank1 = torch.load(tmp_path / 'rank1.pth')

    # One process that is fed every rank's transitions, in rank order.
    torch.set_num_threads(1)
    single = _make_agent()
    single.rollout_batches = EPISODES_PER_RANK * world_size
    for update in range(NUM_UPDATES):
        for rank in range(world_size):
            for episode in _episodes(single, rank, update):
                single.buffer.add(episode)
        single.update()

    initial = _make_agent().policy.state_dict()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
        assert torch.allclose(rank0[key], single.policy.state_dict()[key],
                              atol=1e-6), key
    changed = any(not torch.equal(rank0[k], initial[k]) for k in rank0)
    assert changed
