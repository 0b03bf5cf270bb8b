import type { ForwardHook, HookHandle, Module } from './module.js';

/**
 * One forward hook on a view's source module, kept while the view has hooks of its own (token
 * grids and attention views cost nothing until something watches them): `wrap` takes the handle
 * of a hook registered on the view and returns one whose removal also drops the source's hook
 * with the view's last hook, calling `onLast` then.
 */
export class SourceHook {
  private handle: HookHandle | null = null;
  private count = 0;

  constructor(
    private readonly source: Module,
    private readonly hook: ForwardHook,
    private readonly onLast: () => void,
  ) {}

  wrap(own: HookHandle): HookHandle {
    this.count++;
    this.handle ??= this.source.registerForwardHook(this.hook);
    let removed = false;
    return {
      remove: () => {
        if (removed) return;
        removed = true;
        own.remove();
        if (--this.count === 0) {
          this.handle?.remove();
          this.handle = null;
          this.onLast();
        }
      },
    };
  }
}
