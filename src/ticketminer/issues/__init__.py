"""Issue discovery: vectorise, cluster, assign online, label, lineage."""
