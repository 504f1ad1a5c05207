export { readServicesEnv, requireService, type ServiceName } from './env.ts'
export { envFile, repoRoot, stateDir } from './paths.ts'
export { ensureTool, type GoToolName, goTools, toolPath } from './tools.ts'
