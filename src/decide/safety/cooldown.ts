// Cooldown (CONTRACT §2): `up` seconds after a scale-up before another scale-up; `down` seconds
// after any change (up or down) before a scale-down. Reasons give absolute times: they are shown
// long after the check (status, the Temporal UI), where "10s ago" would be wrong.
import type { Cooldown } from '../../config/policy';
import { fmt, isoSeconds } from '../format';

export interface CooldownState {
  last_scale_up_at: number | null;
  last_scale_down_at: number | null;
}

export interface CooldownBlock {
  /** Seconds until the direction is allowed again. */
  remaining: number;
  reason: string;
}

/** Why a move from `current` to `target` must wait, or null when it may go ahead. */
export function cooldownBlock(current: number, target: number, now: number, cooldown: Cooldown, state: CooldownState): CooldownBlock | null {
  if (target > current && state.last_scale_up_at !== null) {
    const since = now - state.last_scale_up_at;
    if (since < cooldown.up) {
      return { remaining: cooldown.up - since, reason: `cooldown.up ${fmt(cooldown.up)}s: last scale-up at ${isoSeconds(state.last_scale_up_at)}, until ${isoSeconds(state.last_scale_up_at + cooldown.up)}` };
    }
  }
  if (target < current) {
    const last = lastChange(state);
    if (last !== null) {
      const since = now - last;
      if (since < cooldown.down) {
        return { remaining: cooldown.down - since, reason: `cooldown.down ${fmt(cooldown.down)}s: last change at ${isoSeconds(last)}, until ${isoSeconds(last + cooldown.down)}` };
      }
    }
  }
  return null;
}

function lastChange(state: CooldownState): number | null {
  const { last_scale_up_at: up, last_scale_down_at: down } = state;
  if (up === null) return down;
  if (down === null) return up;
  return Math.max(up, down);
}
