import { ClvException } from './clv.exception';

export const MS_PER_DAY = 86_400_000;

/** One order line: several lines with the same customer and order id are one order (summed, earliest time). */
export interface OrderLine {
  customerId: string;
  orderId: string;
  /** Milliseconds since the epoch. */
  time: number;
  /** Money; must be positive (refunds and cancellations are left out before this step). */
  amount: number;
}

/**
 * What the BG/NBD and Gamma-Gamma models need of a customer, in the convention of the BTYD
 * literature (and the lifetimes package), with days as the unit of time.
 */
export interface CustomerSummary {
  customerId: string;
  /** x: repeat transactions (orders − 1). */
  frequency: number;
  /** t_x: days from the first to the last order. */
  recency: number;
  /** T: days from the first order to the calibration end. */
  age: number;
  /** m_x: mean amount of the repeat orders (the first order left out); 0 when frequency is 0. */
  monetary: number;
}

interface Order {
  orderId: string;
  time: number;
  /** Line amounts, summed in sorted order so the total does not depend on the input's row order. */
  amounts: number[];
}

/**
 * Customer summaries from order lines, sorted by customer id (code-unit order), so the result and
 * every fit on it are independent of the input's row order. Within a customer, orders are taken in
 * time order, ties broken by order id.
 * @param calibrationEnd epoch ms; default the time of the last order. No order may be later.
 * @throws {ClvException} `invalid_input` naming the customer for a non-positive or non-finite amount, a non-finite time or an order after the end; `too_few_customers` for no orders.
 * @example summarizeOrders([{ customerId: 'c1', orderId: 'o1', time: 0, amount: 10 }, { customerId: 'c1', orderId: 'o2', time: 2 * MS_PER_DAY, amount: 30 }], { calibrationEnd: 10 * MS_PER_DAY })
 * // [{ customerId: 'c1', frequency: 1, recency: 2, age: 10, monetary: 30 }]
 */
export function summarizeOrders(lines: Iterable<OrderLine>, options: { calibrationEnd?: number } = {}): CustomerSummary[] {
  const byCustomer = new Map<string, Map<string, Order>>();
  for (const line of lines) {
    if (!(line.amount > 0) || !Number.isFinite(line.amount)) {
      throw new ClvException(
        'invalid_input',
        `order ${line.orderId} has amount ${line.amount}; only positive amounts can be modelled`,
        `customer ${line.customerId}`,
      );
    }
    if (!Number.isFinite(line.time))
      throw new ClvException('invalid_input', `order ${line.orderId} has no valid time`, `customer ${line.customerId}`);
    const orders = byCustomer.get(line.customerId) ?? new Map<string, Order>();
    byCustomer.set(line.customerId, orders);
    const order = orders.get(line.orderId);
    if (order) {
      order.amounts.push(line.amount);
      order.time = Math.min(order.time, line.time);
    } else orders.set(line.orderId, { orderId: line.orderId, time: line.time, amounts: [line.amount] });
  }
  if (byCustomer.size === 0) throw new ClvException('too_few_customers', 'there are no orders to summarise', 'orders');
  let lastOrder = Number.NEGATIVE_INFINITY;
  for (const orders of byCustomer.values()) for (const order of orders.values()) lastOrder = Math.max(lastOrder, order.time);
  const end = options.calibrationEnd ?? lastOrder;
  if (!Number.isFinite(end)) throw new ClvException('invalid_option', `must be a finite time, got ${end}`, 'calibrationEnd');
  const endDays = end / MS_PER_DAY;
  const customers = [...byCustomer.entries()].sort(([left], [right]) => compareCodeUnits(left, right));
  return customers.map(([customerId, byOrderId]) => {
    const orders = [...byOrderId.values()].sort((a, b) => a.time - b.time || compareCodeUnits(a.orderId, b.orderId));
    const last = orders[orders.length - 1];
    if (last.time > end) {
      throw new ClvException('invalid_input', `order ${last.orderId} is after the calibration end`, `customer ${customerId}`);
    }
    const first = orders[0].time / MS_PER_DAY;
    const repeats = orders.slice(1);
    return {
      customerId,
      frequency: repeats.length,
      recency: last.time / MS_PER_DAY - first,
      age: endDays - first,
      monetary: repeats.length === 0 ? 0 : repeats.reduce((sum, order) => sum + orderAmount(order), 0) / repeats.length,
    };
  });
}

function orderAmount(order: Order): number {
  return [...order.amounts].sort((a, b) => a - b).reduce((sum, amount) => sum + amount, 0);
}

function compareCodeUnits(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
