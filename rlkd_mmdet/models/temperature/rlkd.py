"""Temperatures chosen per instance by the RLKD agent."""
from typing import Optional, Tuple

from mmdet.registry import MODELS
from torch import Tensor

from rlkd_mmdet.rl import InstanceStates, RLKDAgent
from .base import BaseTemperatureSource, scatter_mean


@MODELS.register_module()
class RLKDTemperature(BaseTemperatureSource):
    """Ask the RLKD agent for each instance's temperature.

    The agent is not a part of the model: :class:`RLKDHook` builds it, saves
    it in checkpoints and hands it over through :meth:`bind_agent`. Until the
    hook switches :attr:`agent_acting` on (during warm-up, or without the
    hook) every instance gets ``warmup_temperature``.

    Args:
        warmup_temperature (float): Temperature while the agent does not
            act. Defaults to 4.0.
    """

    def __init__(self, warmup_temperature: float = 4.0) -> None:
        super().__init__()
        if warmup_temperature <= 0:
            raise ValueError('warmup_temperature must be positive, got '
                             f'{warmup_temperature}')
        self.warmup_temperature = float(warmup_temperature)
        self.agent: Optional[RLKDAgent] = None
        self.agent_acting = False
        self.last_kd_weight: Optional[Tensor] = None

    def bind_agent(self, agent: RLKDAgent) -> None:
        """Attach the agent that :class:`RLKDHook` owns."""
        self.agent = agent

    def forward(self,
                instances: InstanceStates,
                image_index: Tensor,
                image_ids: Optional[Tensor] = None
                ) -> Tuple[Tensor, Optional[Tensor]]:
        if self.agent is None:
            if self.agent_acting:
                raise RuntimeError(
                    'RLKDTemperature is set to act but has no agent; add '
                    "dict(type='RLKDHook') to custom_hooks")
            temperature = instances.states.new_full((len(instances), ),
                                                    self.warmup_temperature)
            return self._remember(temperature), None

        if self.training and image_ids is not None and len(instances) > 0:
            per_image, has_instances = scatter_mean(instances.entropy,
                                                    image_index,
                                                    image_ids.numel())
            self.agent.track_uncertainty(
                image_ids.to(per_image.device)[has_instances],
                per_image[has_instances])

        if not (self.training and self.agent_acting):
            temperature = instances.states.new_full((len(instances), ),
                                                    self.warmup_temperature)
            return self._remember(temperature), None

        temperature, kd_weight = self.agent.act(instances)
        self.last_kd_weight = kd_weight
        return self._remember(temperature), kd_weight
