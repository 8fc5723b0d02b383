package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Keeps text that a security plugin would block or redact out of what leaves the gateway beside the
 * messages themselves (audit records): each text that any plugin calls {@linkplain
 * SecurityPlugin#isSensitive sensitive} is replaced, whole, by {@value #REPLACEMENT}. Thread-safe.
 */
public final class SensitiveText {

  /** What replaces sensitive text. */
  public static final String REPLACEMENT = "[REDACTED]";

  private final List<SecurityPlugin> plugins;

  public SensitiveText(List<SecurityPlugin> plugins) {
    this.plugins = List.copyOf(plugins);
  }

  /** Returns whether any plugin calls {@code text} sensitive. */
  public boolean isSensitive(String text) {
    for (SecurityPlugin plugin : plugins) {
      try {
        if (plugin.isSensitive(text)) {
          return true;
        }
      } catch (RuntimeException e) {
        return true; // fail closed, as a security plugin that throws does
      }
    }
    return false;
  }

  /** Returns {@code text}, or the replacement when it is sensitive. */
  public String scrub(String text) {
    return plugins.isEmpty() || !isSensitive(text) ? text : REPLACEMENT;
  }

  /** As {@link #scrub(String)}, passing {@code null} through. */
  public @Nullable String scrubNullable(@Nullable String text) {
    return text == null ? null : scrub(text);
  }

  /** Returns the id, or a string id of the replacement when its value is sensitive. */
  public @Nullable RequestId scrub(@Nullable RequestId id) {
    return id instanceof RequestId.StringId text && !plugins.isEmpty() && isSensitive(text.value())
        ? RequestId.of(REPLACEMENT)
        : id;
  }

  /** Returns the metadata with every sensitive key or string value, at any depth, replaced. */
  public Map<String, Object> scrub(Map<String, Object> metadata) {
    if (plugins.isEmpty() || metadata.isEmpty()) {
      return metadata;
    }
    Map<String, Object> clean = new LinkedHashMap<>();
    int replaced = 0;
    for (Map.Entry<String, Object> entry : metadata.entrySet()) {
      String key = isSensitive(entry.getKey()) ? REPLACEMENT + (replaced++ == 0 ? "" : "-" + replaced) : entry.getKey();
      clean.put(key, scrubValue(entry.getValue()));
    }
    return clean;
  }

  @SuppressWarnings("unchecked")
  private Object scrubValue(Object value) {
    if (value instanceof String text) {
      return scrub(text);
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), v));
      return scrub(copy);
    }
    if (value instanceof Object[] items) {
      return scrubValue(Arrays.asList(items)); // serialised as a JSON array, like a list
    }
    if (value instanceof Iterable<?> items) {
      List<@Nullable Object> copy = new ArrayList<>();
      items.forEach(item -> copy.add(item == null ? null : scrubValue(item)));
      return copy;
    }
    if (value instanceof Number || value instanceof Boolean) {
      return value;
    }
    // Anything else (a JSON tree, a record, a char[]) is checked by the text a log would write of it.
    String text = value instanceof char[] chars ? new String(chars) : String.valueOf(value);
    return isSensitive(text) ? REPLACEMENT : value;
  }
}
