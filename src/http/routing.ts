import type { FastifyRequest } from 'fastify';
import type { TaskType, Urgency } from '../config/schema.ts';
import type { Manager } from '../manager/manager.ts';
import { type Flavour, unknownModel } from './errors.ts';
import { modelChoices, resolveModelName } from './model-names.ts';

export interface RoutingFields {
  model?: string;
  urgency?: Urgency;
  task_type?: TaskType;
}

export interface Routing {
  model?: string;
  taskType?: TaskType;
  urgency?: Urgency;
  /** x-rmm-deadline-ms: the client's own deadline. */
  deadlineMs?: number;
}

/**
 * Where a request should go: the model name resolved against the catalog (404 in the route's shape when
 * unknown), the task type (body field, else `x-rmm-task-type`, else the one `auto:<task>` names) and the
 * urgency (body field, else `x-rmm-urgency`). Header values were validated by the route's header schema.
 */
export function routingFor(
  request: FastifyRequest,
  manager: Manager,
  fields: RoutingFields,
  flavour: Flavour,
): Routing {
  const headers = request.headers as Record<string, string | undefined>;
  const out: Routing = {};
  const urgency = fields.urgency ?? (headers['x-rmm-urgency'] as Urgency | undefined);
  if (urgency) out.urgency = urgency;
  const deadline = headers['x-rmm-deadline-ms'];
  if (deadline !== undefined && /^[0-9]{1,9}$/.test(deadline)) out.deadlineMs = Number(deadline);
  let taskType = fields.task_type ?? (headers['x-rmm-task-type'] as TaskType | undefined);
  if (fields.model !== undefined) {
    const catalog = manager.catalog();
    const resolved = resolveModelName(fields.model, catalog);
    if (!resolved) throw unknownModel(fields.model, modelChoices(catalog), flavour);
    out.model = resolved.model;
    taskType ??= resolved.taskType;
  }
  if (taskType) out.taskType = taskType;
  return out;
}

/** A concrete catalog name for the routes that act on one model (health, preload, show). */
export function concreteModel(manager: Manager, name: string, flavour: Flavour): string {
  const catalog = manager.catalog();
  const resolved = resolveModelName(name, catalog);
  if (!resolved || resolved.virtual) throw unknownModel(name, catalog, flavour);
  return resolved.model;
}
