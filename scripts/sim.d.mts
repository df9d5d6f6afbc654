// Types for scripts/sim.mjs (imported by the overlay bench).
export declare const SIM_NODE_FLAGS: string[];
export declare function bundleSimCli(): Promise<string>;
