package dev.gatekit.proxy.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginConfigException;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginProvider;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginLoaderTest {

  static final Set<String> UPSTREAMS = Set.of("files", "github", "db");

  /** A security plugin whose own priority is 20; counts closes. */
  static final class Sec implements SecurityPlugin {
    final Map<String, Object> options;
    final AtomicInteger closes = new AtomicInteger();

    Sec(Map<String, Object> options) {
      this.options = options;
    }

    @Override
    public int priority() {
      return 20;
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  static final List<Sec> created = new ArrayList<>();

  static PluginProvider provider(String handler, PluginKind kind) {
    return new PluginProvider() {
      @Override
      public String handler() {
        return handler;
      }

      @Override
      public PluginKind kind() {
        return kind;
      }

      @Override
      public Plugin create(PluginConfig config) {
        int limit = config.integer("limit", 1, 1, 10);
        config.rejectUnknownKeys(Set.of("limit"));
        config.validate();
        return switch (kind) {
          case SECURITY -> {
            Sec sec = new Sec(Map.of("limit", limit));
            synchronized (created) {
              created.add(sec);
            }
            yield sec;
          }
          case MIDDLEWARE -> new MiddlewarePlugin() {};
          case AUDITING -> (AuditingPlugin) event -> {};
        };
      }
    };
  }

  static final PluginLoader LOADER = PluginLoader.of(List.of(
      provider("secrets", PluginKind.SECURITY),
      provider("pii", PluginKind.SECURITY),
      provider("tools", PluginKind.MIDDLEWARE),
      provider("audit", PluginKind.AUDITING)));

  static int order;

  static PluginEntry entry(PluginKind kind, String scope, String handler, Map<String, Object> config) {
    int i = order++;
    return new PluginEntry(kind, scope, handler, config, "plugins." + kind.configKey() + "." + scope + "[" + i + "]", i);
  }

  @Test
  void buildsEnabledPluginsWithPriorityFromConfigOrThePluginAndKeepsOrder() {
    List<LoadedPlugin> loaded = LOADER.load(List.of(
        entry(PluginKind.SECURITY, "_global", "secrets", Map.of("priority", 5)),
        entry(PluginKind.SECURITY, "_global", "pii", Map.of()),
        entry(PluginKind.MIDDLEWARE, "files", "tools", Map.of("enabled", false)),
        entry(PluginKind.AUDITING, "_global", "audit", Map.of())), UPSTREAMS);

    assertThat(loaded).extracting(LoadedPlugin::name).containsExactly("secrets", "pii", "audit");
    assertThat(loaded).extracting(LoadedPlugin::priority).containsExactly(5, 20, 50);
    assertThat(loaded).extracting(LoadedPlugin::scope).containsOnlyNulls();
    assertThat(loaded.get(0).order()).isLessThan(loaded.get(1).order());
  }

  @Test
  void anUpstreamsOwnEntryReplacesTheGlobalOneForThatUpstreamOnly() {
    List<LoadedPlugin> loaded = LOADER.load(List.of(
        entry(PluginKind.SECURITY, "_global", "secrets", Map.of("limit", 1)),
        entry(PluginKind.SECURITY, "github", "secrets", Map.of("limit", 7)),
        entry(PluginKind.SECURITY, "_global", "pii", Map.of())), Set.of("files", "github", "db"));

    List<LoadedPlugin> secrets = loaded.stream().filter(p -> p.name().equals("secrets")).toList();
    assertThat(secrets).extracting(LoadedPlugin::scope).containsExactlyInAnyOrder("files", "db", "github");
    Plugin global = secrets.stream().filter(p -> "files".equals(p.scope())).findFirst().orElseThrow().plugin();
    assertThat(secrets.stream().filter(p -> "db".equals(p.scope())).findFirst().orElseThrow().plugin()).isSameAs(global);
    Sec own = (Sec) secrets.stream().filter(p -> "github".equals(p.scope())).findFirst().orElseThrow().plugin();
    assertThat(own.options).containsEntry("limit", 7);
    assertThat(((Sec) global).options).containsEntry("limit", 1);
    assertThat(loaded.stream().filter(p -> p.name().equals("pii")).toList()).singleElement()
        .extracting(LoadedPlugin::scope).isNull();
  }

  @Test
  void aDisabledUpstreamEntryTurnsTheGlobalPluginOffForThatUpstream() {
    List<LoadedPlugin> loaded = LOADER.load(List.of(
        entry(PluginKind.SECURITY, "_global", "secrets", Map.of()),
        entry(PluginKind.SECURITY, "db", "secrets", Map.of("enabled", false))), Set.of("files", "db"));

    assertThat(loaded).singleElement().extracting(LoadedPlugin::scope).isEqualTo("files");
  }

  @Test
  void reportsEveryProblemAtOnceWithDidYouMean() {
    assertThatThrownBy(() -> LOADER.load(List.of(
        entry(PluginKind.SECURITY, "_global", "secretz", Map.of()),
        entry(PluginKind.SECURITY, "_global", "tools", Map.of()),
        entry(PluginKind.SECURITY, "githb", "pii", Map.of()),
        entry(PluginKind.SECURITY, "_global", "pii", Map.of("limit", 99, "limt", 2, "priority", 200)),
        entry(PluginKind.AUDITING, "_global", "nothing_like_it", Map.of())), UPSTREAMS))
        .isInstanceOfSatisfying(PluginConfigException.class, e -> {
          List<String> problems = e.problems().stream().map(ConfigProblem::toString).toList();
          assertThat(problems).anySatisfy(p -> assertThat(p).contains("unknown handler 'secretz'").contains("'secrets' (did you mean it?)"));
          assertThat(problems).anySatisfy(p -> assertThat(p).contains("a security plugin").contains("a middleware plugin"));
          assertThat(problems).anySatisfy(p -> assertThat(p).contains("unknown scope 'githb'").contains("'github'"));
          assertThat(problems).anySatisfy(p -> assertThat(p).contains(".config.priority"));
          assertThat(problems).anySatisfy(p -> assertThat(p).contains("unknown handler 'nothing_like_it'").contains("one of the handlers"));
          assertThat(e.getMessage()).contains("problems in plugin configuration");
        });
  }

  @Test
  void reportsEachProvidersOwnOptionProblems() {
    assertThatThrownBy(() -> LOADER.load(List.of(
        entry(PluginKind.SECURITY, "_global", "pii", Map.of("limit", 99, "limt", 2))), UPSTREAMS))
        .isInstanceOfSatisfying(PluginConfigException.class, e -> assertThat(e.problems())
            .extracting(ConfigProblem::path)
            .containsExactlyInAnyOrder("plugins.security._global[" + (order - 1) + "].config.limit",
                "plugins.security._global[" + (order - 1) + "].config.limt"));
  }

  @Test
  void closesWhatItBuiltWhenAnotherEntryIsInvalid() {
    int before;
    synchronized (created) {
      before = created.size();
    }
    assertThatThrownBy(() -> LOADER.load(List.of(
        entry(PluginKind.SECURITY, "_global", "secrets", Map.of()),
        entry(PluginKind.SECURITY, "_global", "unknown", Map.of())), UPSTREAMS))
        .isInstanceOf(PluginConfigException.class);
    synchronized (created) {
      assertThat(created.subList(before, created.size())).allSatisfy(s -> assertThat(s.closes).hasValue(1));
    }
  }

  @Test
  void aDuplicateHandlerNamesBothProviderClasses() {
    assertThatThrownBy(() -> PluginLoader.of(List.of(new DupA(), new DupB())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'dup'")
        .hasMessageContaining(DupA.class.getName())
        .hasMessageContaining(DupB.class.getName());
  }

  @Test
  void aDuplicateHandlerOnTheClassPathIsAnError(@TempDir Path dir) throws Exception {
    Path services = dir.resolve("META-INF/services/" + PluginProvider.class.getName());
    Files.createDirectories(services.getParent());
    Files.writeString(services, DupA.class.getName() + "\n" + DupB.class.getName() + "\n");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      assertThatThrownBy(() -> PluginLoader.fromClassLoader(loader))
          .hasMessageContaining(DupA.class.getName()).hasMessageContaining(DupB.class.getName());
    }
  }

  @Test
  void findsTheBuiltInsOnTheClassPath() {
    assertThat(PluginLoader.fromClassPath().handlers())
        .contains("basic_secrets_filter", "basic_pii_filter", "tool_manager", "audit_jsonl");
  }

  /** A provider of handler {@code dup}. */
  public static final class DupA implements PluginProvider {
    @Override
    public String handler() {
      return "dup";
    }

    @Override
    public PluginKind kind() {
      return PluginKind.SECURITY;
    }

    @Override
    public Plugin create(PluginConfig config) {
      return new SecurityPlugin() {};
    }
  }

  /** Another provider of handler {@code dup}. */
  public static final class DupB implements PluginProvider {
    @Override
    public String handler() {
      return "dup";
    }

    @Override
    public PluginKind kind() {
      return PluginKind.MIDDLEWARE;
    }

    @Override
    public Plugin create(PluginConfig config) {
      return new MiddlewarePlugin() {};
    }
  }
}
