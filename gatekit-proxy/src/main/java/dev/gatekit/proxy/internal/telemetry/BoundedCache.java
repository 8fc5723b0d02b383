package dev.gatekit.proxy.internal.telemetry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Values made from their keys once and kept, up to a fixed number: past it a value is made anew on
 * every call and not kept, so a client that invents method or tool names cannot grow it without
 * bound. For what telemetry derives per request from a few labels (attribute sets, span names), which
 * repeat. Thread-safe; two threads may make the same value once each, and both get the one kept.
 */
final class BoundedCache<K, V> {

  /** The OpenTelemetry SDK's default limit of series per metric: past it the SDK folds them anyway. */
  static final int DEFAULT_LIMIT = 2000;

  private final ConcurrentHashMap<K, V> values = new ConcurrentHashMap<>();
  private final Function<? super K, ? extends V> make;
  private final int limit;

  BoundedCache(Function<? super K, ? extends V> make, int limit) {
    this.make = make;
    this.limit = limit;
  }

  /** Returns the value of {@code key}, made now when it is not kept. */
  V get(K key) {
    V kept = values.get(key);
    if (kept != null) {
      return kept;
    }
    V made = make.apply(key);
    if (values.size() < limit) {
      V raced = values.putIfAbsent(key, made);
      return raced != null ? raced : made;
    }
    return made;
  }

  /** Returns how many values are kept. */
  int size() {
    return values.size();
  }
}
