package dev.gatekit.proxy.internal;

import dev.gatekit.api.Transport;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * An upstream as it was added to a proxy: exactly one of one connection for every client ({@code
 * shared}) or a factory of one connection per client session ({@code perSession}).
 */
public record UpstreamSource(@Nullable Transport shared, @Nullable Supplier<? extends Transport> perSession) {

  /** Checks that exactly one of the two is given. */
  public UpstreamSource {
    if ((shared == null) == (perSession == null)) {
      throw new IllegalArgumentException("give a shared transport or a per-session factory, not both or neither");
    }
  }

  /** Returns the shared transport, or a new one from the factory. */
  public Transport connection() {
    return shared != null ? shared : java.util.Objects.requireNonNull(perSession).get();
  }
}
