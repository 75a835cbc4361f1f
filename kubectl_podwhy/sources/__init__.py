"""Where pods and the objects around them come from: the cluster, or files."""
