package dev.gatekit.proxy.plugins;

import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** An auditing plugin that records only events of some upstreams (the proxy gives auditors every event). */
final class ScopedAuditor implements AuditingPlugin {
  private final AuditingPlugin delegate;
  private final Set<String> upstreams;
  private final boolean includeGateway;

  ScopedAuditor(AuditingPlugin delegate, Set<String> upstreams, boolean includeGateway) {
    this.delegate = delegate;
    this.upstreams = Set.copyOf(upstreams);
    this.includeGateway = includeGateway;
  }

  @Override
  public void audit(AuditEvent event) {
    @Nullable String upstream = event.upstream();
    if (upstream == null ? includeGateway : upstreams.contains(upstream)) {
      delegate.audit(event);
    }
  }

  @Override
  public boolean critical() {
    return delegate.critical();
  }

  @Override
  public int priority() {
    return delegate.priority();
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return delegate + " for " + upstreams;
  }
}
