// Timestamp methods.

import type { MethodSpec } from '../registry.ts'

export const timeMethods: MethodSpec[] = []
