// Mapping statements and the executor (Bento's mapping package): assignments to root paths,
// variables and metadata, root-level if statements, and named maps run by `apply`.

import { findError, plainErr, QueryError, StackOverflowError, toQueryError, wrapErr } from './errors.ts'
import { lineAndCol } from './parser.ts'
import {
  type Ctx,
  type Fn,
  goTypeName,
  goValueAndType,
  type MapDef,
  type Meta,
  sliceToDotPath,
} from './query.ts'
import {
  clone,
  DELETE,
  getKey,
  isObject,
  NOTHING,
  setKey,
  typeOf,
  type Value,
  type VObject,
} from './value.ts'

export interface AssignCtx {
  vars: Map<string, Value>
  meta: Meta | null
  value: { v: Value }
  /**
   * The statement allowed to store its value without copying it: the last one that writes the
   * root, when the new root is serialised right away. Nothing writes the root after it, so no
   * later mutation can reach the input document or a variable through a shared value.
   */
  borrow: Statement | null
}

export type Assignment = (v: Value, a: AssignCtx, borrowed: boolean) => void

export interface Statement {
  /** Start position of the statement in the executor's source. */
  pos: number
  /** What the statement writes: the root (a path), a variable, metadata, or an `if` block. */
  writes: 'root' | 'var' | 'meta' | 'if'
  exec(ctx: Ctx, a: AssignCtx): void
}

/** The last statement that writes the root, when it is a plain path assignment. */
export function finalRootWriter(statements: Statement[]): Statement | null {
  for (let i = statements.length - 1; i >= 0; i--) {
    const st = statements[i] as Statement
    if (st.writes === 'root') return st
    if (st.writes === 'if') return null
  }
  return null
}

/** A statement error already carrying its line (Bento's failedAssignmentErr). */
export class FailedAssignmentError extends QueryError {
  readonly line: number
  constructor(line: number, inner: QueryError) {
    super(inner)
    this.line = line
  }
  override get message(): string {
    return `failed assignment (line ${this.line}): ${this.cause?.message ?? ''}`
  }
}

export function singleStatement(
  pos: number,
  assign: Assignment,
  query: Fn,
  writes: Statement['writes'] = 'root',
): Statement {
  const q = query.exec
  const st: Statement = {
    pos,
    writes,
    exec(ctx, a) {
      const v = q(ctx)
      if (v === NOTHING) return
      assign(v, a, a.borrow === st)
    },
  }
  return st
}

export function rootLevelIf(pos: number, pairs: [Fn | null, Statement[]][]): Statement {
  return {
    pos,
    writes: 'if',
    exec(ctx, a) {
      for (let i = 0; i < pairs.length; i++) {
        const [cond, stmts] = pairs[i] as [Fn | null, Statement[]]
        if (cond !== null) {
          let v: Value
          try {
            v = cond.exec(ctx)
          } catch (e) {
            throw wrapErr(`failed to check if condition ${i + 1}`, e)
          }
          if (typeof v !== 'boolean') {
            throw plainErr(`${cond.ann} resolved to a non-boolean value ${goValueAndType(v)}`)
          }
          if (!v) continue
        }
        for (const st of stmts) st.exec(ctx, a)
        return
      }
    },
  }
}

export function varAssignment(name: string): Assignment {
  return (v, a) => {
    if (v === DELETE) a.vars.delete(name)
    else a.vars.set(name, v)
  }
}

export function metaAssignment(key: string | null): Assignment {
  return (val, a) => {
    const meta = a.meta
    if (meta === null) throw plainErr('unable to assign metadata in the current context')
    const deleted = val === DELETE
    const v = deleted ? val : clone(val)
    if (key === null) {
      if (deleted) meta.clear()
      else if (isObject(v)) {
        meta.clear()
        for (const k of Object.keys(v)) meta.set(k, v[k] as Value)
      } else throw plainErr(`setting root meta object requires object value, received: ${goTypeName(v)}`)
      return
    }
    if (deleted) meta.delete(key)
    else meta.set(key, v)
  }
}

const INDEX_RE = /^[+-]?\d+$/

class PathCollision {}

/** gabs Set. Throws PathCollision or a QueryError. */
function gabsSet(root: Value, value: Value, path: string[]): void {
  let obj: Value = root
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string
    const last = i === path.length - 1
    if (Array.isArray(obj)) {
      if (seg === '-') {
        if (i < 1) throw plainErr('unable to append new array index at root of path')
        const next: Value = last ? value : {}
        obj.push(next)
        obj = next
        continue
      }
      if (!INDEX_RE.test(seg) || !Number.isSafeInteger(Number(seg))) {
        throw plainErr(
          `failed to resolve path segment '${i}': found array but segment value '${seg}' could not be parsed into array index: strconv.Atoi: parsing "${seg}": invalid syntax`,
        )
      }
      const idx = Number(seg)
      if (idx < 0)
        throw plainErr(`failed to resolve path segment '${i}': found array but index '${seg}' is invalid`)
      if (obj.length <= idx) {
        throw plainErr(
          `failed to resolve path segment '${i}': found array but index '${seg}' exceeded target array size of '${obj.length}'`,
        )
      }
      if (last) obj[idx] = value
      else {
        const next = obj[idx] as Value
        if (next === null)
          throw plainErr(`failed to resolve path segment '${i}': field '${seg}' was not found`)
        obj = next
      }
      continue
    }
    if (isObject(obj)) {
      if (last) setKey(obj, seg, value)
      else {
        const next = getKey(obj, seg)
        if (next === undefined || next === null) {
          const created: VObject = {}
          setKey(obj, seg, created)
          obj = created
        } else obj = next
      }
      continue
    }
    throw new PathCollision()
  }
}

/** gabs Search without wildcards (for delete). */
function searchExact(v: Value | undefined, path: string[]): Value | undefined {
  let cur = v
  for (const seg of path) {
    if (Array.isArray(cur)) {
      if (seg === '*') return undefined
      if (!INDEX_RE.test(seg)) return undefined
      const i = Number(seg)
      if (i < 0 || i >= cur.length) return undefined
      cur = cur[i]
    } else if (isObject(cur)) {
      cur = getKey(cur, seg)
      if (cur === undefined) return undefined
    } else return undefined
  }
  return cur
}

function gabsDelete(root: Value, path: string[]): void {
  const target = path[path.length - 1] as string
  const parent = path.length > 1 ? searchExact(root, path.slice(0, -1)) : root
  if (isObject(parent)) {
    if (Object.hasOwn(parent, target)) delete parent[target]
    return
  }
  if (Array.isArray(parent) && path.length >= 2 && INDEX_RE.test(target)) {
    const i = Number(target)
    if (i >= 0 && i < parent.length) parent.splice(i, 1)
  }
}

/** The culprit segment for a path collision error (findTheNonObject). */
function findNonObject(root: Value, path: string[]): [string, string] {
  if (!isObject(root)) return ['', typeOf(root)]
  const culprit: string[] = []
  let cur: Value | undefined = root
  for (const seg of path) {
    culprit.push(sliceToDotPath([seg]))
    cur = searchExact(cur, [seg])
    if (!isObject(cur)) return [culprit.join('.'), typeOf(cur === undefined ? null : cur)]
  }
  return [culprit.join('.'), typeOf(cur ?? null)]
}

export function pathAssignment(path: string[]): Assignment {
  const dot = sliceToDotPath(path)
  return (val, a, borrowed) => {
    const deleted = val === DELETE
    const v = deleted || borrowed ? val : clone(val)
    if (path.length === 0) {
      a.value.v = v
      return
    }
    if (a.value.v === NOTHING || a.value.v === null) a.value.v = {}
    const root = a.value.v
    if (deleted) {
      gabsDelete(root, path)
      return
    }
    try {
      gabsSet(root, v, path)
    } catch (e) {
      if (e instanceof PathCollision) {
        const [culprit, t] = findNonObject(root, path)
        if (culprit === '') {
          throw plainErr(
            `unable to set target path ${dot} as the value of the root was a non-object type (${t})`,
          )
        }
        throw plainErr(
          `unable to set target path ${dot} as the value of ${culprit} was a non-object type (${t})`,
        )
      }
      const qe = toQueryError(e)
      if (qe.message === 'unable to append new array index at root of path' && Array.isArray(root)) {
        const p2 = path.slice()
        p2[0] = String(root.length)
        root.push({})
        try {
          gabsSet(root, v, p2)
          return
        } catch (e2) {
          throw wrapErr(`unable to set target path ${dot}`, e2)
        }
      }
      throw wrapErr(`unable to set target path ${dot}`, qe)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Executor

export interface MappingExecutor extends MapDef {
  annotation: string
  src: string
  base: number
  maps: Map<string, MappingExecutor>
  statements: Statement[]
  maxStacks: number
  /** Line of a statement relative to this executor's source (Bento's LineAndColOf). */
  lineOf(st: Statement): number
}

export class StackError {
  readonly message: string
  constructor(annotation: string, max: number) {
    this.message = `entering ${annotation} exceeded maximum allowed stacks of ${max}, this could be due to unbounded recursion`
  }
}

export function newExecutor(
  annotation: string,
  src: string,
  maps: Map<string, MappingExecutor>,
  statements: Statement[],
  maxStacks: number,
  base = 0,
): MappingExecutor {
  const exe: MappingExecutor = {
    name: annotation,
    annotation,
    src,
    base,
    maps,
    statements,
    maxStacks,
    lineOf(st) {
      return lineAndCol(src.slice(base), st.pos - base)[0]
    },
    exec(ctx) {
      const stack = ctx.stack + 1
      if (stack > maxStacks) throw plainErr(new StackError(annotation, maxStacks).message)
      const root = { v: NOTHING as Value }
      const inner: Ctx = { ...ctx, stack, root }
      const a: AssignCtx = { vars: ctx.vars as Map<string, Value>, meta: null, value: root, borrow: null }
      for (const st of statements) {
        try {
          st.exec(inner, a)
        } catch (e) {
          let qe = toQueryError(e)
          const inner = findError(qe, FailedAssignmentError)
          if (inner !== null) throw inner
          // The JS stack is smaller than Bento's map stack limit: report deep map recursion the
          // way Bento's limit would (an error thrown here again is handled one level up).
          if (findError(qe, StackOverflowError) !== null)
            qe = plainErr(new StackError(annotation, maxStacks).message)
          throw new FailedAssignmentError(exe.lineOf(st), qe)
        }
      }
      return root.v
    },
  }
  return exe
}

/** Wrap an error from a failing top-level statement: `failed assignment (line N): ...`. */
export function statementError(exe: MappingExecutor, st: Statement, e: unknown): FailedAssignmentError {
  return new FailedAssignmentError(exe.lineOf(st), toQueryError(e))
}
