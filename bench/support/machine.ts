import { arch, cpus, platform, totalmem } from 'node:os';

export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuCount: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
}

/** Where the figures came from: they only compare with figures from the same machine and run. */
export const machineInfo = (): MachineInfo => {
  const processors = cpus();
  return {
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpuCount: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
};
