"""Pictures of autograd: graphs, a step-by-step backprop explorer, and training diagnostics.

* :func:`draw_graph` -- the graph behind a tensor as SVG/PNG (no Graphviz needed) or DOT text;
* :func:`explore` -- one self-contained HTML page that replays the engine's backward pass step by
  step on your own tensors (``minigrad explain script.py`` from the command line);
* :class:`TrainingRecorder` -- per-layer activation statistics, gradient norms and update-to-weight
  ratios over the steps of a training loop, and their plots (``minigrad train --plot``).
"""
from .diagnostics import TrainingRecorder, plot_diagnostics
from .explorer import explore, recording
from .graph import Graph, add_arguments, draw_graph, example_graph, graph_command, main, register

__all__ = ["draw_graph", "Graph", "register", "explore", "recording", "TrainingRecorder", "plot_diagnostics"]
