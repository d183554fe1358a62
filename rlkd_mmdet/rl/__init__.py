"""Agent core of RLKD: depends on torch and numpy only."""
from .agent import REWARD_METRICS, REWARD_MODES, RLKDAgent
from .buffer import Episode, RolloutBuffer, compute_gae
from .calibration import RewardCalibrator
from .exploration import UncertaintyTracker
from .policy import SquashedGaussianPolicy
from .ppo import explained_variance, ppo_update
from .state import (STATE_DIM, InstanceStates, build_instance_states,
                    normalized_entropy, top2_margin)

__all__ = [
    'RLKDAgent', 'REWARD_METRICS', 'REWARD_MODES', 'Episode',
    'RolloutBuffer', 'compute_gae', 'RewardCalibrator', 'UncertaintyTracker',
    'SquashedGaussianPolicy', 'ppo_update', 'explained_variance', 'STATE_DIM',
    'InstanceStates', 'build_instance_states', 'normalized_entropy',
    'top2_margin'
]
