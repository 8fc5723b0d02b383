package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's plugins, put in the order of a chain. A message towards an upstream (a client
 * request or notification) meets middleware, then security; a message towards the client (an
 * upstream's notification or request) meets security, then middleware; within a kind, lower
 * priority first, ties in the order added. The answer to a request comes back through the same
 * stages in reverse. Auditing comes first, wrapping everything; the far side comes last. Where
 * middleware stands between security and a side of the gateway, security checks again what the
 * middleware rewrote or made ({@link PluginStage#recheck}), so nothing leaves the gateway, either way,
 * without security having seen it as it leaves. Immutable.
 */
public final class Stages {

  private final List<PluginStage> middleware;
  private final List<PluginStage> security;
  private final @Nullable AuditStage audit;

  /**
   * @param plugins the security and middleware stages, in the order added
   * @param auditors the auditing plugins, in the order added
   * @param securityPlugins every security plugin, asked what text must stay out of audit records
   */
  public Stages(List<PluginStage> plugins, List<AuditingPlugin> auditors, List<SecurityPlugin> securityPlugins) {
    Comparator<PluginStage> byPriority = Comparator.comparingInt(PluginStage::priority); // stable sort keeps ties in order
    this.middleware = plugins.stream().filter(s -> s.kind() == PluginKind.MIDDLEWARE).sorted(byPriority).toList();
    this.security = plugins.stream().filter(s -> s.kind() == PluginKind.SECURITY).sorted(byPriority).toList();
    this.audit = auditors.isEmpty() ? null : new AuditStage(auditors, new SensitiveText(securityPlugins));
  }

  /** Returns whether there is no plugin at all, so that nothing can block on a message's way. */
  public boolean isEmpty() {
    return audit == null && middleware.isEmpty() && security.isEmpty();
  }

  /**
   * Returns the chain to {@code upstream}, ending at {@code farSide}: auditing, a recheck by security
   * of the answers middleware rewrote or made, middleware, security, the far side.
   */
  public List<Stage> towardsUpstream(String upstream, Stage farSide) {
    return chain(upstream, rechecks(upstream, false), middleware, security, List.of(), farSide);
  }

  /**
   * Returns the chain from {@code upstream} to the client, ending at {@code farSide}: auditing,
   * security, middleware, a recheck by security of the messages middleware rewrote, the far side.
   */
  public List<Stage> towardsClient(String upstream, Stage farSide) {
    return chain(upstream, List.of(), security, middleware, rechecks(upstream, true), farSide);
  }

  /** The security stages as rechecks, when middleware could change what they checked; else none. */
  private List<PluginStage> rechecks(String upstream, boolean onTheWayOut) {
    if (middleware.stream().noneMatch(s -> s.appliesTo(upstream))) {
      return List.of();
    }
    return security.stream().map(s -> s.recheck(onTheWayOut)).toList();
  }

  private List<Stage> chain(String upstream, List<PluginStage> outer, List<PluginStage> first,
      List<PluginStage> second, List<PluginStage> inner, Stage farSide) {
    List<Stage> stages = new ArrayList<>();
    if (audit != null) {
      stages.add(audit);
    }
    for (List<PluginStage> group : List.of(outer, first, second, inner)) {
      group.stream().filter(s -> s.appliesTo(upstream)).forEach(stages::add);
    }
    stages.add(farSide);
    return List.copyOf(stages);
  }
}
