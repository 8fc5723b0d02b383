package dev.gatekit.proxy.plugins;

import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.ConfigProblems;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginConfigException;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginProvider;
import dev.gatekit.proxy.GatekitProxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Finds {@link PluginProvider}s with {@link ServiceLoader} and builds the plugins a configuration
 * names. Built-in plugins are found exactly like third-party ones.
 *
 * <p>Rules applied by {@link #load}:
 *
 * <ul>
 *   <li>every entry's handler must be provided, by a provider of the entry's kind; its scope must be
 *       {@value PluginEntry#GLOBAL} or a known upstream;
 *   <li>entries with {@code enabled: false} are skipped;
 *   <li>an upstream's own entry for a handler replaces the global entry of that handler (same kind)
 *       for that upstream, even when the upstream's entry is disabled (which turns the plugin off
 *       there); the global plugin then applies to every other upstream;
 *   <li>priority is the entry's {@code priority}, else the plugin's own; ties go by entry order.
 * </ul>
 *
 * <p>Every problem is collected and reported at once in one {@link PluginConfigException}.
 * Immutable and thread-safe.
 */
public final class PluginLoader {

  private final Map<String, PluginProvider> providers;

  private PluginLoader(Map<String, PluginProvider> providers) {
    this.providers = Collections.unmodifiableMap(new TreeMap<>(providers));
  }

  /** Returns a loader of the providers on the class path of this class's class loader. */
  public static PluginLoader fromClassPath() {
    return fromClassLoader(PluginLoader.class.getClassLoader());
  }

  /**
   * Returns a loader of the providers {@code loader} finds.
   *
   * @throws IllegalStateException if two providers declare the same handler name (the message names
   *     both classes), or a listed provider cannot be found or instantiated
   */
  public static PluginLoader fromClassLoader(ClassLoader loader) {
    List<PluginProvider> found = new ArrayList<>();
    try {
      ServiceLoader.load(PluginProvider.class, loader).forEach(found::add);
    } catch (java.util.ServiceConfigurationError e) {
      throw new IllegalStateException("cannot load the plugin providers on the class path: " + e.getMessage(), e);
    }
    found.sort(Comparator.comparing(p -> p.getClass().getName()));
    return of(found);
  }

  /**
   * Returns a loader of exactly these providers.
   *
   * @throws IllegalStateException if two providers declare the same handler name
   */
  public static PluginLoader of(List<? extends PluginProvider> providers) {
    Map<String, PluginProvider> byHandler = new LinkedHashMap<>();
    for (PluginProvider provider : providers) {
      String handler = Objects.requireNonNull(provider.handler(), "handler of " + provider.getClass().getName());
      Objects.requireNonNull(provider.kind(), "kind of " + provider.getClass().getName());
      PluginProvider earlier = byHandler.putIfAbsent(handler, provider);
      if (earlier != null) {
        throw new IllegalStateException(
            "plugin handler '" + handler + "' is provided twice: by " + earlier.getClass().getName()
                + " and by " + provider.getClass().getName() + "; remove one from the class path");
      }
    }
    return new PluginLoader(byHandler);
  }

  /** Returns the handler names this loader knows, sorted. */
  public Set<String> handlers() {
    return providers.keySet();
  }

  /** Returns the provider of a handler, or {@code null}. */
  public @Nullable PluginProvider provider(String handler) {
    return providers.get(handler);
  }

  /**
   * Validates every entry and builds the enabled plugins.
   *
   * @param entries the configured plugins, in configuration order
   * @param upstreamNames the names of the configured upstreams (valid scopes besides
   *     {@value PluginEntry#GLOBAL})
   * @return the plugins to add to a proxy, in entry order; a global entry replaced for some upstream
   *     appears once per other upstream, with the same plugin instance
   * @throws PluginConfigException listing every problem of every entry; plugins already built are
   *     closed first
   */
  public List<LoadedPlugin> load(List<PluginEntry> entries, Set<String> upstreamNames) {
    return load(entries, upstreamNames, Path.of(""));
  }

  /**
   * Validates every entry and builds the enabled plugins, resolving relative file paths in their
   * options against {@code baseDirectory} (see {@link PluginConfig#baseDirectory()}); otherwise as
   * {@link #load(List, Set)}.
   */
  public List<LoadedPlugin> load(List<PluginEntry> entries, Set<String> upstreamNames, Path baseDirectory) {
    ConfigProblems problems = new ConfigProblems();
    List<PluginEntry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingInt(PluginEntry::order));

    // Which upstreams replace which global handler: (kind, handler) -> upstreams with their own entry.
    Map<String, Set<String>> replaced = new LinkedHashMap<>();
    for (PluginEntry entry : sorted) {
      if (!entry.isGlobal()) {
        replaced.computeIfAbsent(key(entry), k -> new LinkedHashSet<>()).add(entry.scope());
      }
    }

    List<Built> built = new ArrayList<>();
    for (PluginEntry entry : sorted) {
      int before = problems.size();
      if (!entry.isGlobal() && !upstreamNames.contains(entry.scope())) {
        Set<String> scopes = new LinkedHashSet<>(upstreamNames);
        scopes.add(PluginEntry.GLOBAL);
        String suggestion = ConfigProblems.closest(entry.scope(), scopes);
        problems.add(entry.path(),
            suggestion != null ? "scope '" + suggestion + "' (did you mean it?)"
                : "scope " + PluginEntry.GLOBAL + " or one of the upstreams " + upstreamNames,
            "unknown scope '" + entry.scope() + "'");
      }
      PluginProvider provider = providers.get(entry.handler());
      if (provider == null) {
        String suggestion = ConfigProblems.closest(entry.handler(), providers.keySet());
        problems.add(entry.path() + ".handler",
            suggestion != null ? "'" + suggestion + "' (did you mean it?)"
                : "one of the handlers " + providers.keySet(),
            "unknown handler '" + entry.handler() + "'");
        continue;
      }
      if (provider.kind() != entry.kind()) {
        problems.add(entry.path() + ".handler",
            "a " + entry.kind().configKey() + " plugin",
            "'" + entry.handler() + "', a " + provider.kind().configKey() + " plugin (put it under plugins."
                + provider.kind().configKey() + ")");
        continue;
      }
      PluginConfig common = PluginConfig.of(entry.handler(), entry.path() + ".config", entry.config(), baseDirectory);
      boolean enabled = common.enabled();
      Integer priority = common.has("priority") ? common.priority() : null;
      common.critical();
      problems.addAll(common.problems());
      if (!enabled || problems.size() > before) {
        continue;
      }
      Plugin plugin;
      try {
        plugin = provider.create(
            PluginConfig.of(entry.handler(), entry.path() + ".config", entry.config(), baseDirectory));
      } catch (PluginConfigException e) {
        problems.addAll(e.problems());
        continue;
      } catch (RuntimeException e) {
        problems.add(entry.path(), "a configuration " + entry.handler() + " can start with",
            "an error: " + e);
        continue;
      }
      if (!entry.kind().type().isInstance(plugin)) {
        problems.add(entry.path(), "a " + entry.kind().configKey() + " plugin from "
            + provider.getClass().getName(), "a " + plugin.getClass().getName());
        closeQuietly(plugin);
        continue;
      }
      int effective = priority != null ? priority : plugin.priority();
      if (effective < 0 || effective > 100) {
        problems.add(entry.path() + ".config.priority", "an integer from 0 to 100",
            effective + " (the plugin's own priority)");
        closeQuietly(plugin);
        continue;
      }
      built.add(new Built(entry, plugin, effective));
    }
    if (!problems.isEmpty()) {
      built.forEach(b -> closeQuietly(b.plugin));
      throw new PluginConfigException(problems.toList());
    }

    List<LoadedPlugin> loaded = new ArrayList<>();
    for (Built b : built) {
      PluginEntry entry = b.entry;
      if (!entry.isGlobal()) {
        loaded.add(new LoadedPlugin(entry.kind(), entry.handler(), entry.scope(), b.priority, entry.order(), b.plugin));
        continue;
      }
      Set<String> replacedFor = replaced.getOrDefault(key(entry), Set.of());
      List<String> others = upstreamNames.stream().filter(u -> !replacedFor.contains(u)).toList();
      if (replacedFor.stream().noneMatch(upstreamNames::contains)) {
        loaded.add(new LoadedPlugin(entry.kind(), entry.handler(), null, b.priority, entry.order(), b.plugin));
      } else if (others.isEmpty()) {
        closeQuietly(b.plugin); // replaced everywhere
      } else {
        for (String upstream : others) {
          loaded.add(new LoadedPlugin(entry.kind(), entry.handler(), upstream, b.priority, entry.order(), b.plugin));
        }
      }
    }
    return List.copyOf(loaded);
  }

  /**
   * Adds loaded plugins to a proxy builder, in order, with their names, scopes and priorities.
   * Auditing plugins scoped to upstreams are wrapped so they record only those upstreams' events
   * (one wrapper per plugin instance, so each is closed once); such an auditor does not see events
   * of the gateway itself, which have no upstream.
   */
  public static GatekitProxy.Builder addTo(GatekitProxy.Builder builder, List<LoadedPlugin> plugins) {
    Map<Plugin, Set<String>> auditorScopes = new IdentityHashMap<>();
    for (LoadedPlugin p : plugins) {
      if (p.plugin() instanceof AuditingPlugin && p.scope() != null) {
        auditorScopes.computeIfAbsent(p.plugin(), k -> new LinkedHashSet<>()).add(p.scope());
      }
    }
    Set<Plugin> added = Collections.newSetFromMap(new IdentityHashMap<>());
    for (LoadedPlugin p : plugins) {
      if (p.plugin() instanceof AuditingPlugin auditor && p.scope() != null) {
        if (added.add(auditor)) {
          builder.plugin(p.name(), null, p.priority(), new ScopedAuditor(auditor, auditorScopes.get(auditor), false));
        }
      } else {
        builder.plugin(p.name(), p.scope(), p.priority(), p.plugin());
      }
    }
    return builder;
  }

  private static String key(PluginEntry entry) {
    return entry.kind() + "/" + entry.handler();
  }

  private static void closeQuietly(Plugin plugin) {
    try {
      plugin.close();
    } catch (RuntimeException ignored) {
      // it never served a message
    }
  }

  private record Built(PluginEntry entry, Plugin plugin, int priority) {}

  @Override
  public String toString() {
    return "PluginLoader" + providers.keySet();
  }
}
