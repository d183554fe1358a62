"""Hook that owns the RLKD agent and runs its schedule."""
import json
import logging
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from rlkd_mmdet.rl import RLKDAgent
from .temperature_logger_hook import update_temperature_scalars

DATA_BATCH = Optional[dict]


@HOOKS.register_module()
class RLKDHook(Hook):
    """Build, drive, log and checkpoint the RLKD temperature agent.

    Schedule, in epochs: during the first ``warmup_epochs`` the model's
    temperature source uses its fixed warm-up temperature. Afterwards the
    agent picks the temperatures at every iteration. It learns only inside
    agent-training phases: a phase of ``train_epochs`` epochs starts every
    ``train_interval`` epochs after warm-up, and inside a phase the agent
    records its transitions and runs a PPO update whenever
    ``agent.rollout_batches`` batches have their rewards. Efficient
    exploration (mixing uncertain images into easy ones) is active during
    the first ``exploration_phases`` phases.

    The RLKD paper (CIFAR-100, 240 epochs) trains the agent every 20 epochs;
    ``train_interval=20`` reproduces that.

    The model's temperature source must be an ``RLKDTemperature``; the hook
    only touches its ``bind_agent``, ``agent_acting`` and
    ``last_temperature`` members and the model's ``exploration_active``
    flag.

    Args:
        agent (dict): Arguments of :class:`RLKDAgent`. Defaults to ``{}``.
        warmup_epochs (int): Epochs at the fixed temperature. Defaults to 0.
        train_interval (int): Epochs between the starts of two agent-training
            phases. Defaults to 20.
        train_epochs (int): Length of a phase in epochs. Defaults to 1.
        exploration_phases (int): Phases with efficient exploration.
            Defaults to 1.
        log_interval (int): Iterations between temperature logs. Defaults
            to 10.
    """

    priority = 'NORMAL'

    def __init__(self,
                 agent: dict = {},
                 warmup_epochs: int = 0,
                 train_interval: int = 20,
                 train_epochs: int = 1,
                 exploration_phases: int = 1,
                 log_interval: int = 10) -> None:
        for name, value, low in (('warmup_epochs', warmup_epochs, 0),
                                 ('train_interval', train_interval, 1),
                                 ('train_epochs', train_epochs, 1),
                                 ('exploration_phases', exploration_phases,
                                  0), ('log_interval', log_interval, 1)):
            if int(value) != value or value < low:
                raise ValueError(
                    f'{name} must be an integer >= {low}, got {value!r}')
        if train_epochs > train_interval:
            raise ValueError(
                f'train_epochs ({train_epochs}) must not exceed '
                f'train_interval ({train_interval})')
        self.agent_cfg = dict(agent)
        self.warmup_epochs = warmup_epochs
        self.train_interval = train_interval
        self.train_epochs = train_epochs
        self.exploration_phases = exploration_phases
        self.log_interval = log_interval
        self.histogram_bins = 20
        self.temperature_history: list = []
        self.agent: Optional[RLKDAgent] = None
        self._loaded_state: Optional[dict] = None

    # ------------------------------------------------------------------
    def _model(self, runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _source(self, runner):
        model = self._model(runner)
        source = getattr(model, 'temperature_source', None)
        if source is None or not hasattr(source, 'bind_agent'):
            raise TypeError(
                'RLKDHook needs a model whose temperature_source is '
                f'RLKDTemperature, got {type(source).__name__}; set '
                "model.temperature_source=dict(type='RLKDTemperature') or "
                'remove RLKDHook from custom_hooks')
        return source

    def before_run(self, runner) -> None:
        """Build the agent next to the model and bind it."""
        source = self._source(runner)
        model = self._model(runner)
        device = next(model.parameters()).device
        self.agent = RLKDAgent(**self.agent_cfg).to(device)
        source.bind_agent(self.agent)
        if self.agent.reward_mode == 'same_batch':
            if not hasattr(model, 'evaluate_instances'):
                raise TypeError(
                    f"reward_mode='same_batch' needs a model with "
                    f'evaluate_instances(), which {type(model).__name__} '
                    "lacks; use reward_mode='next_batch'")
            model.keep_last_batch = True
        print_log(
            f'RLKD agent built: temperature in '
            f'{self.agent_cfg.get("temperature_range", (1.0, 10.0))}, '
            f'warm-up {self.warmup_epochs} epochs, agent-training phase of '
            f'{self.train_epochs} epochs every {self.train_interval} epochs',
            logger='current')

    def before_train(self, runner) -> None:
        """Restore a resumed agent."""
        if self._loaded_state is not None:
            self.agent.load_state_dict(self._loaded_state)
            self._loaded_state = None
            print_log(
                f'RLKD agent restored after {self.agent.num_updates} PPO '
                'updates', logger='current')

    # ------------------------------------------------------------------
    def phase_index(self, epoch: int) -> Optional[int]:
        """Return the agent-training phase of ``epoch``, or None."""
        if epoch < self.warmup_epochs:
            return None
        offset = epoch - self.warmup_epochs
        if offset % self.train_interval < self.train_epochs:
            return offset // self.train_interval
        return None

    def before_train_epoch(self, runner) -> None:
        """Switch acting, recording and exploration for this epoch."""
        epoch = runner.epoch
        source = self._source(runner)
        model = self._model(runner)
        phase = self.phase_index(epoch)
        acting = epoch >= self.warmup_epochs
        source.agent_acting = acting
        self.agent.recording = phase is not None
        self.agent.epoch = epoch
        model.exploration_active = (
            phase is not None and phase < self.exploration_phases
            and self.agent.tracker is not None)
        if not self.agent.recording:
            self.agent.discard_pending()
        print_log(
            f'RLKD epoch {epoch + 1}: temperatures from '
            f'{"the agent" if acting else "warm-up"}, agent '
            f'{"training" if self.agent.recording else "frozen"}, '
            f'exploration {"on" if model.exploration_active else "off"}',
            logger='current')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Log temperatures and run the PPO update when it is due."""
        source = self._source(runner)
        message_hub = runner.message_hub
        temperature = source.last_temperature
        if temperature is not None and temperature.numel() > 0:
            self._record_histogram(runner, temperature.float())
            if self.every_n_train_iters(runner, self.log_interval):
                update_temperature_scalars(message_hub, 'train/rlkd',
                                           temperature)

        if self.agent.reward_mode == 'same_batch' and self.agent.has_pending:
            model = self._model(runner)
            self.agent.complete_pending(model.evaluate_instances())

        if self.agent.recording and self.agent.ready_to_update:
            stats = self.agent.update()
            self._log_update(runner, stats)

    def _record_histogram(self, runner, temperature: torch.Tensor) -> None:
        low = float(self.agent.policy.low[0])
        high = float(self.agent.policy.high[0])
        counts = torch.histc(
            temperature.cpu(), bins=self.histogram_bins, min=low,
            max=high).tolist()
        self.temperature_history.append(
            dict(
                epoch=runner.epoch,
                iter=runner.iter,
                mean=float(temperature.mean()),
                counts=counts))

    def after_train_epoch(self, runner) -> None:
        """Write the temperature histograms to the work dir (rank 0)."""
        if not is_main_process():
            return
        low = float(self.agent.policy.low[0])
        high = float(self.agent.policy.high[0])
        path = osp.join(runner.work_dir, 'rlkd_temperatures.json')
        with open(path, 'w') as f:
            json.dump(
                dict(low=low, high=high, bins=self.histogram_bins,
                     history=self.temperature_history), f)

    def _log_update(self, runner, stats: Dict[str, float]) -> None:
        for key in ('policy_loss', 'value_loss', 'entropy_loss',
                    'approx_kl', 'clip_fraction', 'explained_variance',
                    'reward', 'calibration_loss', 'std'):
            value = stats.get(key)
            if value is not None and value == value:
                runner.message_hub.update_scalar(f'train/rlkd/{key}', value)
        runner.message_hub.update_scalar('train/rlkd/num_updates',
                                         self.agent.num_updates)

    # ------------------------------------------------------------------
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the agent in the checkpoint."""
        if self.agent is not None:
            checkpoint['rlkd_agent'] = self.agent.state_dict()
            checkpoint['rlkd_temperature_history'] = self.temperature_history

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the saved agent until the agent is built."""
        self.temperature_history = list(
            checkpoint.get('rlkd_temperature_history', []))
        state = checkpoint.get('rlkd_agent')
        if state is None:
            print_log(
                'the loaded checkpoint contains no RLKD agent; the agent '
                'starts untrained', logger='current', level=logging.WARNING)
            return
        if self.agent is not None:
            self.agent.load_state_dict(state)
        else:
            self._loaded_state = state
