package dev.gatekit.proxy.internal;

/** The gateway's own version, as the jar's manifest states it. */
public final class Versions {

  /** The version, or {@code "dev"} when running from classes rather than a jar. */
  public static final String GATEKIT = detect();

  private Versions() {}

  private static String detect() {
    String version = Versions.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }
}
