"""Proximal policy optimisation (clipped surrogate) for flat rollouts."""
from typing import Dict, Optional

import torch
from torch import Tensor, nn

from .policy import SquashedGaussianPolicy


def explained_variance(y_pred: Tensor, y_true: Tensor) -> float:
    """Return ``1 - Var[y_true - y_pred] / Var[y_true]``.

    1 is a perfect value function, 0 is no better than a constant, and a
    negative value is worse than a constant. NaN when ``y_true`` is constant.
    """
    var_y = y_true.var(unbiased=False)
    if var_y == 0:
        return float('nan')
    return float(1 - (y_true - y_pred).var(unbiased=False) / var_y)


def ppo_update(policy: SquashedGaussianPolicy,
               optimizer: torch.optim.Optimizer,
               rollout: Dict[str, Tensor],
               n_epochs: int = 4,
               batch_size: int = 256,
               clip_range: float = 0.2,
               clip_range_vf: Optional[float] = None,
               ent_coef: float = 0.0,
               vf_coef: float = 0.5,
               max_grad_norm: float = 0.5,
               normalize_advantage: bool = True,
               generator: Optional[torch.Generator] = None
               ) -> Dict[str, float]:
    """Run the PPO epochs over one rollout.

    Args:
        policy (SquashedGaussianPolicy): The actor-critic to train.
        optimizer (torch.optim.Optimizer): Optimizer of ``policy``.
        rollout (dict[str, Tensor]): Flat ``states``, ``actions``,
            ``log_probs``, ``values``, ``advantages`` and ``returns``.
        n_epochs (int): Passes over the rollout. Defaults to 4.
        batch_size (int): Minibatch size. Defaults to 256.
        clip_range (float): PPO clipping parameter. Defaults to 0.2.
        clip_range_vf (float, optional): Clipping of the value update around
            the old values; None disables it. Defaults to None.
        ent_coef (float): Entropy bonus coefficient. Defaults to 0.0.
        vf_coef (float): Value loss coefficient. Defaults to 0.5.
        max_grad_norm (float): Gradient norm clip. Defaults to 0.5.
        normalize_advantage (bool): Normalise advantages per minibatch.
            Defaults to True.
        generator (torch.Generator, optional): Source of the minibatch order,
            so that processes sharing a seed take the same minibatches.

    Returns:
        dict[str, float]: ``policy_loss``, ``value_loss``, ``entropy_loss``,
        ``approx_kl``, ``clip_fraction``, ``explained_variance`` and ``std``.
    """
    num = rollout['states'].size(0)
    device = rollout['states'].device
    stats = dict(policy_loss=[], value_loss=[], entropy_loss=[],
                 approx_kl=[], clip_fraction=[])

    for _ in range(n_epochs):
        order = torch.randperm(num, generator=generator).to(device)
        for start in range(0, num, batch_size):
            idx = order[start:start + batch_size]
            advantages = rollout['advantages'][idx]
            if normalize_advantage and idx.numel() > 1:
                advantages = (advantages - advantages.mean()) / (
                    advantages.std() + 1e-8)

            log_prob, entropy, values = policy.evaluate_actions(
                rollout['states'][idx], rollout['actions'][idx])
            log_ratio = log_prob - rollout['log_probs'][idx]
            ratio = log_ratio.exp()
            surrogate = torch.min(
                advantages * ratio,
                advantages * ratio.clamp(1 - clip_range, 1 + clip_range))
            policy_loss = -surrogate.mean()

            old_values = rollout['values'][idx]
            if clip_range_vf is not None:
                values = old_values + (values - old_values).clamp(
                    -clip_range_vf, clip_range_vf)
            value_loss = (rollout['returns'][idx] - values).pow(2).mean()
            entropy_loss = -entropy.mean()

            loss = policy_loss + ent_coef * entropy_loss + vf_coef * value_loss
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(policy.parameters(), max_grad_norm)
            optimizer.step()

            with torch.no_grad():
                # Low-variance estimator of KL(old || new).
                approx_kl = ((ratio - 1) - log_ratio).mean()
                clip_fraction = ((ratio - 1).abs() > clip_range).float().mean()
            stats['policy_loss'].append(policy_loss.detach())
            stats['value_loss'].append(value_loss.detach())
            stats['entropy_loss'].append(entropy_loss.detach())
            stats['approx_kl'].append(approx_kl)
            stats['clip_fraction'].append(clip_fraction)

    result = {k: float(torch.stack(v).mean()) for k, v in stats.items()}
    with torch.no_grad():
        predicted = policy.value(rollout['states'])
    result['explained_variance'] = explained_variance(predicted,
                                                      rollout['returns'])
    result['std'] = float(policy.log_std.detach().exp().mean())
    return result
