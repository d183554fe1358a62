"""The RLKD temperature agent: acting, delayed rewards and PPO updates."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.distributed as dist
from torch import Tensor

from .buffer import Episode, RolloutBuffer
from .calibration import RewardCalibrator
from .exploration import UncertaintyTracker
from .policy import SquashedGaussianPolicy
from .ppo import ppo_update
from .state import STATE_DIM, InstanceStates

REWARD_METRICS = ('gt_prob', 'accuracy', 'log_prob')
REWARD_MODES = ('next_batch', 'same_batch')


class RLKDAgent:
    """PPO agent that picks a KD temperature for every instance.

    Acting: :meth:`act` maps a batch of instance states to temperatures (and,
    optionally, per-instance KD weights) in one batched call.

    Reward: the reward of a batch is how much the student improved on a
    metric of its instances after the update that batch caused, multiplied
    by ``reward_scale * (1 + reward_scale_growth * epoch)``. The metric is
    the mean ground-truth probability (``'gt_prob'``), the accuracy, or the
    mean log-probability of the ground truth (``'log_prob'``, the negative of
    the cross-entropy loss). ``'gt_prob'`` is the default because, unlike
    accuracy, it changes with every update and not only when an instance
    crosses the decision boundary.
    With ``reward_mode='next_batch'`` (the default) the improvement is the
    metric of the next batch minus that of this batch. Training computes
    both anyway, so rewards cost no extra forward pass, but the two batches
    contain different instances, which makes the reward noisier. With
    ``'same_batch'`` the caller re-evaluates the same instances after the
    update and passes them to :meth:`complete_pending`. The distillers of
    this package then run the student and the teacher once more per batch
    while the agent records.

    Credit assignment: each batch is an episode whose steps are its
    instances. With calibration (the default) a :class:`RewardCalibrator`
    splits the batch reward into per-instance rewards; without it the batch
    reward sits on the last instance. GAE and PPO then run on those rewards.
    Because calibrated rewards already belong to single instances, the
    default ``gamma`` is 0, which makes each advantage the instance's own
    reward minus the critic's baseline. Without calibration use
    ``gamma=gae_lambda=1`` so the batch reward reaches every instance.

    Args:
        temperature_range (Sequence[float]): Bounds of the temperature.
            Defaults to (1.0, 10.0).
        initial_temperature (float): Temperature of the untrained policy.
            Defaults to 4.0.
        learn_kd_weight (bool): Also output a per-instance weight of the KD
            term. Defaults to False.
        kd_weight_range (Sequence[float]): Bounds of that weight. Defaults
            to (0.0, 2.0).
        initial_kd_weight (float): Weight of the untrained policy. Defaults
            to 1.0.
        use_uncertainty (bool): Feed the student-uncertainty feature to the
            policy; False drops it (state ablation). Defaults to True.
        hidden_dims (Sequence[int]): Widths of the policy networks. Defaults
            to (64, 64).
        log_std_init (float): Initial log standard deviation. Defaults to
            -0.5.
        lr (float): Adam learning rate of the policy. Defaults to 3e-4.
        gamma (float): Discount over the instances of a batch. Defaults to
            0.0.
        gae_lambda (float): GAE parameter. Defaults to 0.95.
        clip_range (float): PPO clip range. Defaults to 0.2.
        n_epochs (int): PPO epochs per update. Defaults to 4.
        batch_size (int): PPO minibatch size in instances. Defaults to 256.
        ent_coef (float): Entropy coefficient. Defaults to 0.0.
        vf_coef (float): Value loss coefficient. Defaults to 0.5.
        max_grad_norm (float): Gradient clip. Defaults to 0.5.
        normalize_advantage (bool): Normalise advantages. Defaults to True.
        normalize_reward (bool): Divide rewards by the running standard
            deviation of batch rewards before GAE. Defaults to True.
        rollout_batches (int): Completed batches per PPO update. Defaults
            to 16.
        reward_metric (str): ``'gt_prob'``, ``'accuracy'`` or
            ``'log_prob'``. Defaults to ``'gt_prob'``.
        reward_mode (str): ``'next_batch'`` or ``'same_batch'``. Defaults to
            ``'next_batch'``.
        reward_scale (float): Reward multiplier. Defaults to 1.0.
        reward_scale_growth (float): Growth of the multiplier per epoch.
            Defaults to 0.0.
        calibration (dict, optional): Arguments of
            :class:`RewardCalibrator`; None disables calibration. Defaults
            to an empty dict (calibration on with its defaults).
        exploration (dict, optional): Arguments of
            :class:`UncertaintyTracker`; None disables efficient
            exploration. Defaults to an empty dict.
        seed (int): Seed of the agent's own random generators; the training
            job's global random state is never touched. Defaults to 0.
    """

    def __init__(self,
                 temperature_range: Sequence[float] = (1.0, 10.0),
                 initial_temperature: float = 4.0,
                 learn_kd_weight: bool = False,
                 kd_weight_range: Sequence[float] = (0.0, 2.0),
                 initial_kd_weight: float = 1.0,
                 use_uncertainty: bool = True,
                 hidden_dims: Sequence[int] = (64, 64),
                 log_std_init: float = -0.5,
                 lr: float = 3e-4,
                 gamma: float = 0.0,
                 gae_lambda: float = 0.95,
                 clip_range: float = 0.2,
                 n_epochs: int = 4,
                 batch_size: int = 256,
                 ent_coef: float = 0.0,
                 vf_coef: float = 0.5,
                 max_grad_norm: float = 0.5,
                 normalize_advantage: bool = True,
                 normalize_reward: bool = True,
                 rollout_batches: int = 16,
                 reward_metric: str = 'gt_prob',
                 reward_mode: str = 'next_batch',
                 reward_scale: float = 1.0,
                 reward_scale_growth: float = 0.0,
                 calibration: Optional[dict] = {},
                 exploration: Optional[dict] = {},
                 seed: int = 0) -> None:
        t_min, t_max = (float(t) for t in temperature_range)
        if t_min <= 0:
            raise ValueError(
                f'temperature_range {tuple(temperature_range)} must be '
                'positive: a temperature near 0 makes the softened '
                'distributions one-hot and the KD gradient explode')
        if reward_metric not in REWARD_METRICS:
            raise ValueError(f'reward_metric {reward_metric!r} is not one of '
                             f'{REWARD_METRICS}')
        if reward_mode not in REWARD_MODES:
            raise ValueError(
                f'reward_mode {reward_mode!r} is not one of {REWARD_MODES}')
        if calibration is None and gamma == 0:
            raise ValueError(
                'with calibration=None the batch reward sits on the last '
                'instance only, so gamma=0 gives no credit to the other '
                'instances; set gamma=1.0 and gae_lambda=1.0')
        if rollout_batches < 1:
            raise ValueError(
                f'rollout_batches must be >= 1, got {rollout_batches}')

        low, high, init = [t_min], [t_max], [float(initial_temperature)]
        if learn_kd_weight:
            low.append(float(kd_weight_range[0]))
            high.append(float(kd_weight_range[1]))
            init.append(float(initial_kd_weight))
        self.use_uncertainty = use_uncertainty
        self.learn_kd_weight = learn_kd_weight
        state_dim = STATE_DIM if use_uncertainty else STATE_DIM - 1

        torch_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        self.policy = SquashedGaussianPolicy(state_dim, low, high, init,
                                             hidden_dims, log_std_init)
        torch.random.set_rng_state(torch_state)
        self.calibrator = (
            RewardCalibrator(state_dim, len(low), **calibration)
            if calibration is not None else None)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=lr)
        self.tracker = (
            UncertaintyTracker(**exploration)
            if exploration is not None else None)

        self.ppo_cfg = dict(
            n_epochs=n_epochs,
            batch_size=batch_size,
            clip_range=clip_range,
            ent_coef=ent_coef,
            vf_coef=vf_coef,
            max_grad_norm=max_grad_norm,
            normalize_advantage=normalize_advantage)
        self.gamma = gamma
        self.gae_lambda = gae_lambda
        self.rollout_batches = rollout_batches
        self.reward_metric = reward_metric
        self.reward_mode = reward_mode
        self.reward_scale = reward_scale
        self.reward_scale_growth = reward_scale_growth

        self.seed = seed
        # Shared by every process so that all ranks take the same PPO
        # minibatches; acting noise gets a per-rank generator instead.
        self.update_generator = torch.Generator().manual_seed(seed)
        self._act_generator: Optional[torch.Generator] = None

        self.normalize_reward = normalize_reward
        self.reward_mean = torch.zeros(())
        self.reward_var = torch.ones(())
        self.reward_count = 0

        self.buffer = RolloutBuffer()
        self.recording = False
        self.epoch = 0
        self.num_updates = 0
        self.num_episodes = 0
        self._pending: Optional[dict] = None
        self.last_actions: Optional[Tensor] = None

    # ------------------------------------------------------------------
    # Acting
    # ------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        """Device of the policy."""
        return self.policy.log_std.device

    def to(self, device) -> 'RLKDAgent':
        """Move the networks to ``device``."""
        self.policy.to(device)
        if self.calibrator is not None:
            self.calibrator.to(device)
        return self

    def _features(self, states: Tensor) -> Tensor:
        states = states.to(self.device, torch.float32)
        return states if self.use_uncertainty else states[:, :2]

    def _generator(self, device: torch.device) -> torch.Generator:
        if self._act_generator is None or self._act_generator.device != device:
            rank = dist.get_rank() if (dist.is_available()
                                       and dist.is_initialized()) else 0
            self._act_generator = torch.Generator(device=device).manual_seed(
                self.seed + 1 + 1000 * rank)
        return self._act_generator

    def batch_metric(self, instances: InstanceStates) -> Tensor:
        """Return the reward metric of a batch as a 0-dim tensor."""
        if self.reward_metric == 'gt_prob':
            return instances.student_gt_prob.mean()
        if self.reward_metric == 'accuracy':
            return instances.student_correct.mean()
        return instances.student_gt_prob.clamp_min(1e-12).log().mean()

    def act(self,
            instances: InstanceStates,
            deterministic: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        """Choose a temperature (and KD weight) for each instance.

        In ``'next_batch'`` reward mode this batch's metric also completes
        the episode recorded at the previous call. While :attr:`recording`
        is set, this batch starts a new episode.

        Args:
            instances (InstanceStates): States of the batch's instances.
            deterministic (bool): Use the policy mean. Defaults to False.

        Returns:
            tuple[Tensor, Tensor | None]: Temperatures of shape (N,), and the
            KD weights of shape (N,) when ``learn_kd_weight`` is set.
        """
        num = len(instances)
        if num == 0:
            empty = instances.states.new_zeros(0)
            return empty, (empty if self.learn_kd_weight else None)

        metric = self.batch_metric(instances)
        if self.reward_mode == 'next_batch' and self._pending is not None:
            self._complete(metric)

        states = self._features(instances.states)
        pre_squash, log_prob, value = self.policy.act(
            states, deterministic, self._generator(states.device))
        actions = self.policy.squash(pre_squash)
        if self.recording:
            self._pending = dict(
                states=states,
                actions=pre_squash,
                log_probs=log_prob,
                values=value,
                metric=metric)
        self.last_actions = actions
        out_device = instances.states.device
        kd_weight = actions[:, 1].to(out_device) if self.learn_kd_weight \
            else None
        return actions[:, 0].to(out_device), kd_weight

    def complete_pending(self, instances_after: InstanceStates) -> None:
        """Complete the recorded episode from a re-evaluation of its batch.

        Only for ``reward_mode='same_batch'``: ``instances_after`` are the
        same instances, evaluated by the student after its update.
        """
        if self.reward_mode != 'same_batch':
            raise RuntimeError(
                'complete_pending is for reward_mode="same_batch", but this '
                f'agent uses reward_mode={self.reward_mode!r}')
        if self._pending is not None and len(instances_after) > 0:
            self._complete(self.batch_metric(instances_after))

    def give_reward(self, batch_reward: Tensor) -> None:
        """Complete the recorded episode with a batch reward measured outside.

        For environments whose reward is not one of the built-in metrics;
        ``reward_scale`` still applies.
        """
        if self._pending is None:
            raise RuntimeError('no recorded episode is waiting for a reward')
        self._complete(self._pending['metric'] + batch_reward)

    def discard_pending(self) -> None:
        """Forget the episode that is waiting for its reward."""
        self._pending = None

    @property
    def has_pending(self) -> bool:
        """Whether an episode is waiting for its reward."""
        return self._pending is not None

    def _complete(self, metric_after: Tensor) -> None:
        pending = self._pending
        self._pending = None
        scale = self.reward_scale * (1 + self.reward_scale_growth * self.epoch)
        reward = scale * (metric_after.to(pending['metric']) -
                          pending['metric'])
        self.buffer.add(
            Episode(pending['states'], pending['actions'],
                    pending['log_probs'], pending['values'],
                    reward.detach().float()))
        self.num_episodes += 1

    # ------------------------------------------------------------------
    # Exploration
    # ------------------------------------------------------------------
    def track_uncertainty(self, ids: Tensor, uncertainty: Tensor) -> None:
        """Update the running uncertainty of instances (no-op if disabled)."""
        if self.tracker is not None:
            self.tracker.update(ids, uncertainty)

    def mixing_pairs(self, ids: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Return (easy positions, hard positions, lam) for a batch."""
        if self.tracker is None:
            raise RuntimeError('exploration is disabled for this agent')
        return self.tracker.mixing_pairs(ids, self.update_generator)

    # ------------------------------------------------------------------
    # Learning
    # ------------------------------------------------------------------
    @property
    def ready_to_update(self) -> bool:
        """Whether enough episodes are stored for a PPO update."""
        return len(self.buffer) >= self.rollout_batches

    def _gather_episodes(self) -> List[Episode]:
        episodes = self.buffer.episodes
        if not (dist.is_available() and dist.is_initialized()
                and dist.get_world_size() > 1):
            return episodes
        payload = [
            dict(
                states=ep.states.cpu(),
                actions=ep.actions.cpu(),
                log_probs=ep.log_probs.cpu(),
                values=ep.values.cpu(),
                batch_reward=ep.batch_reward.cpu()) for ep in episodes
        ]
        gathered = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, payload)
        device = self.device
        return [
            Episode(**{k: v.to(device)
                       for k, v in item.items()}) for rank_items in gathered
            for item in rank_items
        ]

    def assign_rewards(self, episodes: List[Episode]) -> Dict[str, float]:
        """Set the per-instance rewards of episodes from their batch reward.

        With calibration the calibrator first learns from these episodes and
        then splits each batch reward. Without it the batch reward is placed
        on the last instance.

        Returns:
            dict[str, float]: ``calibration_loss`` (NaN without calibration).
        """
        if self.calibrator is None:
            for ep in episodes:
                rewards = ep.values.new_zeros(len(ep))
                rewards[-1] = ep.batch_reward
                ep.rewards = rewards
            return dict(calibration_loss=float('nan'))

        for ep in episodes:
            self.calibrator.remember(ep.states,
                                     self._normalized(ep.actions),
                                     ep.batch_reward)
        loss = self.calibrator.fit(self.update_generator)
        for ep in episodes:
            ep.rewards = self.calibrator.calibrate(
                ep.states, self._normalized(ep.actions), ep.batch_reward)
        return dict(calibration_loss=loss)

    def _update_reward_scale(self, episodes: List[Episode]) -> Tensor:
        """Track the spread of batch rewards; return their running std.

        Rewards are divided by it before GAE, so the critic learns targets
        of order one whatever the metric's scale. Advantages are normalised
        anyway, so this changes the critic, not the direction of the policy
        update.
        """
        rewards = torch.stack([ep.batch_reward.float().cpu()
                               for ep in episodes])
        count = rewards.numel()
        batch_mean = rewards.mean()
        batch_var = rewards.var(unbiased=False)
        total = self.reward_count + count
        delta = batch_mean - self.reward_mean
        self.reward_mean = self.reward_mean + delta * count / total
        self.reward_var = (self.reward_var * self.reward_count +
                           batch_var * count + delta.pow(2) *
                           self.reward_count * count / total) / total
        self.reward_count = total
        if self.reward_count < 2 or self.reward_var <= 0:
            return torch.ones(())
        return self.reward_var.sqrt().clamp_min(1e-8)

    def _normalized(self, pre_squash: Tensor) -> Tensor:
        return (torch.tanh(pre_squash) + 1) / 2

    def update(self) -> Dict[str, float]:
        """Run one PPO update on the stored episodes of every process.

        Returns:
            dict[str, float]: PPO statistics plus ``reward`` (mean batch
            reward), ``calibration_loss`` and ``num_transitions``.
        """
        episodes = self._gather_episodes()
        if not episodes:
            raise RuntimeError('update() called with no stored episode')
        stats = self.assign_rewards(episodes)
        if self.normalize_reward:
            scale = self._update_reward_scale(episodes).to(self.device)
            for ep in episodes:
                ep.rewards = ep.rewards / scale

        gathered = RolloutBuffer(episodes)
        rollout = gathered.compute_returns_and_advantage(
            self.gamma, self.gae_lambda)
        stats.update(
            ppo_update(
                self.policy,
                self.optimizer,
                rollout,
                generator=self.update_generator,
                **self.ppo_cfg))
        stats['reward'] = float(
            torch.stack([ep.batch_reward.cpu() for ep in episodes]).mean())
        stats['num_transitions'] = float(rollout['states'].size(0))
        self.buffer.reset()
        self.num_updates += 1
        return stats

    # ------------------------------------------------------------------
    # Checkpointing
    # ------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Return everything needed to continue training the agent.

        Only tensors, numbers, strings, lists and dicts are stored, so the
        result loads with ``torch.load(weights_only=True)``. An episode still
        waiting for its reward is not saved.
        """
        state = dict(
            policy=self.policy.state_dict(),
            optimizer=self.optimizer.state_dict(),
            buffer=[
                dict(
                    states=ep.states.cpu(),
                    actions=ep.actions.cpu(),
                    log_probs=ep.log_probs.cpu(),
                    values=ep.values.cpu(),
                    batch_reward=ep.batch_reward.cpu())
                for ep in self.buffer.episodes
            ],
            num_updates=self.num_updates,
            num_episodes=self.num_episodes,
            epoch=self.epoch,
            reward_stats=dict(
                mean=self.reward_mean,
                var=self.reward_var,
                count=self.reward_count),
            update_generator=self.update_generator.get_state())
        if self.calibrator is not None:
            state['calibrator'] = self.calibrator.state_dict()
            state['calibrator_memory'] = self.calibrator.memory_state()
        if self.tracker is not None:
            state['tracker'] = self.tracker.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a state returned by :meth:`state_dict`."""
        self.policy.load_state_dict(state['policy'])
        self.optimizer.load_state_dict(state['optimizer'])
        device = self.device
        self.buffer = RolloutBuffer([
            Episode(**{k: v.to(device)
                       for k, v in item.items()})
            for item in state['buffer']
        ])
        self.num_updates = int(state['num_updates'])
        self.num_episodes = int(state['num_episodes'])
        self.epoch = int(state['epoch'])
        self.reward_mean = state['reward_stats']['mean'].clone()
        self.reward_var = state['reward_stats']['var'].clone()
        self.reward_count = int(state['reward_stats']['count'])
        self.update_generator.set_state(state['update_generator'])
        if self.calibrator is not None:
            if 'calibrator' not in state:
                raise KeyError(
                    'the checkpoint contains an agent without reward '
                    'calibration, but this agent uses it; build the agent '
                    'with calibration=None to load it')
            self.calibrator.load_state_dict(state['calibrator'])
            self.calibrator.load_memory_state(state['calibrator_memory'],
                                              device)
        if self.tracker is not None and 'tracker' in state:
            self.tracker.load_state_dict(state['tracker'])
        self._pending = None
