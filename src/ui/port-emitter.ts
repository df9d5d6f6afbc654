// The on/off/emit half of MessengerPort, so an implementation only writes its methods.

import type { Listener, MessengerEvent, MessengerEvents, MessengerPort } from './messenger-port.js';

export class PortEmitter implements Pick<MessengerPort, 'on' | 'off'> {
  private readonly listeners = new Map<MessengerEvent, Set<Listener<never>>>();

  on<E extends MessengerEvent>(event: E, listener: Listener<E>): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
  }

  off<E extends MessengerEvent>(event: E, listener: Listener<E>): void {
    this.listeners.get(event)?.delete(listener as Listener<never>);
  }

  protected emit<E extends MessengerEvent>(event: E, payload: MessengerEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as Listener<E>)(payload);
  }
}
